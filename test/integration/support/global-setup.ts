import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { deployAll } from '#cli/deploy.ts';
import { awsEnvironment, ensureLocalStack, stopLocalStack } from '#localstack/lifecycle.ts';
import { STATE_DIR } from '#localstack/settings.ts';
import { DEPLOY_STATE_ENV, writeDeployState } from '#test/integration/support/reference-stacks.ts';
import { TEST_TARGET_ENV } from '#test/integration/support/target.ts';

/** Set once this run's LocalStack answers and its stacks are deployed. */
const SETUP_DONE_ENV = 'LANES_INTEGRATION_SETUP_DONE';

/**
 * Integration tests run against real services: the embedded LocalStack (started here when no
 * endpoint is given, stopped again at the end if this run started it) or the endpoint named by
 * AWS_ENDPOINT_URL / LANES_ENDPOINT_URL. Every reference stack is deployed once for all files.
 * If LocalStack cannot start, this throws and the whole run fails with the reason.
 *
 * Vitest starts no test file before every global setup has returned, so the deploy (about 40 s)
 * is not awaited here: the unit tests run meanwhile, and each integration file waits for it in
 * its setup file (support/await-reference-stacks.ts), failing with the deploy's error if it
 * failed.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // The `integration` and `timed` projects share this setup: the first to run does the work
  // (and stops LocalStack at the end), the second finds its target in the environment.
  if (process.env[SETUP_DONE_ENV] === '1') return async () => {};
  const log = (line: string) => console.log(line);
  const { target, started, startMs } = await ensureLocalStack({ log });
  Object.assign(process.env, awsEnvironment(target), {
    [TEST_TARGET_ENV]: JSON.stringify(target),
  });
  if (started) log(`[integration] LocalStack started in ${(startMs / 1000).toFixed(1)} s`);
  const deployStarted = Date.now();
  const stateFile = resolve(STATE_DIR, `integration-deploy-${process.pid}.json`);
  writeDeployState(stateFile, { status: 'deploying' });
  process.env[DEPLOY_STATE_ENV] = stateFile;
  const deployment = deployAll(target, { log }).then(
    () => {
      const seconds = (Date.now() - deployStarted) / 1000;
      log(`[integration] stacks deployed in ${seconds.toFixed(1)} s`);
      writeDeployState(stateFile, { status: 'deployed', seconds });
    },
    (error: Error) => {
      log(`[integration] the stacks did not deploy: ${error.message}`);
      writeDeployState(stateFile, { status: 'failed', message: error.message });
    },
  );
  process.env[SETUP_DONE_ENV] = '1';
  return async () => {
    await deployment;
    rmSync(stateFile, { force: true });
    if (started && process.env.LANES_KEEP_LOCALSTACK !== '1') await stopLocalStack({ log });
  };
}
