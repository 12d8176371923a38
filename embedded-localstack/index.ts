/**
 * `lanes/localstack`: the embedded LocalStack (a plain local process, no Docker) and the target
 * resolution every lanes command uses: the embedded LocalStack, an endpoint named with
 * `AWS_ENDPOINT_URL`/`LANES_ENDPOINT_URL`, or real AWS (`LANES_TARGET=aws`).
 *
 * @example
 * import { awsEnvironment, ensureLocalStack } from 'lanes/localstack';
 * const { target } = await ensureLocalStack({ log: console.log });
 * Object.assign(process.env, awsEnvironment(target));
 */
export * from './lifecycle.ts';
export { ProvisionError, provisionLocalStack } from './provision.ts';
export {
  embeddedPort,
  LOCALSTACK_VERSION,
  OWNER_PATH,
  PACKAGE_ROOT,
  PROJECT_ROOT,
  STATE_DIR,
} from './settings.ts';
