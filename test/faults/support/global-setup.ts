import { resolve } from 'node:path';
import { deployAll } from '#cli/deploy.ts';
import { resolveTarget } from '#localstack/lifecycle.ts';
import { STATE_DIR } from '#localstack/settings.ts';
import integrationSetup from '#test/integration/support/global-setup.ts';
import { referenceStacksDeployed } from '#test/integration/support/reference-stacks.ts';
import { FAULTS_STACK } from './faults-stack.ts';

/**
 * The fault suite runs against the same LocalStack and reference stacks as the integration
 * tests (their global setup starts and deploys them), plus its own stack with short timeouts.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const teardown = await integrationSetup();
  await referenceStacksDeployed();
  const log = (line: string) => console.log(line);
  const started = Date.now();
  await deployAll(resolveTarget(), {
    log,
    stacks: [FAULTS_STACK],
    app: {
      command: 'node bin/lanes-dev.mjs test/faults/support/app.ts',
      output: resolve(STATE_DIR, 'cdk.out.faults'),
    },
  });
  log(`[faults] ${FAULTS_STACK} deployed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return teardown;
}
