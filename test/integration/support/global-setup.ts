import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { deployAll } from '#cli/deploy.ts';
import {
  awsEnvironment,
  ensureLocalStack,
  resolveTarget,
  stopLocalStack,
} from '#localstack/lifecycle.ts';
import { STATE_DIR } from '#localstack/settings.ts';
import { DEPLOY_STATE_ENV, writeDeployState } from '#test/integration/support/reference-stacks.ts';
import { TEST_TARGET_ENV } from '#test/integration/support/target.ts';

/** Set once this run's setup has started LocalStack and the deploy (the second project skips it). */
const SETUP_DONE_ENV = 'LANES_INTEGRATION_SETUP_DONE';

/**
 * Integration tests run against real services: the embedded LocalStack (started here when no
 * endpoint is given, stopped again at the end if this run started it) or the endpoint named by
 * AWS_ENDPOINT_URL / LANES_ENDPOINT_URL. Every reference stack is deployed once for all files.
 *
 * Vitest starts no test file before every global setup has returned, so starting LocalStack
 * (with its Python environment on a fresh clone: about 45 s) and the deploy (about 40 s) are not
 * awaited here: the unit tests run meanwhile, and each integration file waits for both in its
 * setup file (support/await-reference-stacks.ts). If LocalStack cannot start or the stacks do not
 * deploy, every integration file fails with that error, and the run fails.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // The `integration` and `timed` projects share this setup: the first to run does the work
  // (and stops LocalStack at the end), the second finds its target in the environment.
  if (process.env[SETUP_DONE_ENV] === '1') return async () => {};
  const log = (line: string) => console.log(line);
  // The endpoint is known before LocalStack answers: the workers inherit it.
  const target = resolveTarget();
  Object.assign(process.env, awsEnvironment(target), {
    [TEST_TARGET_ENV]: JSON.stringify(target),
  });
  // On a fresh clone nothing has made .lanes/ yet: provisioning does, later.
  mkdirSync(STATE_DIR, { recursive: true });
  const stateFile = resolve(STATE_DIR, `integration-deploy-${process.pid}.json`);
  writeDeployState(stateFile, { status: 'starting' });
  process.env[DEPLOY_STATE_ENV] = stateFile;
  let started = false;
  const ready = (async () => {
    let phase: 'localstack' | 'deploy' = 'localstack';
    try {
      // The target resolved above: AWS_ENDPOINT_URL is set to it by now, which would otherwise
      // make it look like an external endpoint.
      const localstack = await ensureLocalStack({ log, target });
      started = localstack.started;
      if (started)
        log(`[integration] LocalStack started in ${(localstack.startMs / 1000).toFixed(1)} s`);
      phase = 'deploy';
      writeDeployState(stateFile, { status: 'deploying' });
      const deployStarted = Date.now();
      await deployAll(target, { log });
      log(`[integration] stacks deployed in ${((Date.now() - deployStarted) / 1000).toFixed(1)} s`);
      writeDeployState(stateFile, { status: 'deployed' });
    } catch (error) {
      const { message } = error as Error;
      const what =
        phase === 'localstack' ? 'LocalStack did not start' : 'the stacks did not deploy';
      log(`[integration] ${what}: ${message}`);
      writeDeployState(stateFile, { status: 'failed', phase, message });
    }
  })();
  process.env[SETUP_DONE_ENV] = '1';
  return async () => {
    await ready;
    rmSync(stateFile, { force: true });
    if (started && process.env.LANES_KEEP_LOCALSTACK !== '1') await stopLocalStack({ log });
  };
}
