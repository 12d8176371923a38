import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Path of the file where the global setup records how the reference stacks' deploy went. */
export const DEPLOY_STATE_ENV = 'LANES_INTEGRATION_DEPLOY_STATE';

type DeployState =
  | { readonly status: 'starting' }
  | { readonly status: 'deploying' }
  | { readonly status: 'deployed' }
  | {
      readonly status: 'failed';
      readonly phase: 'localstack' | 'deploy';
      readonly message: string;
    };

export function writeDeployState(path: string, state: DeployState): void {
  writeFileSync(path, JSON.stringify(state));
}

function readDeployState(path: string): DeployState {
  if (!existsSync(path)) return { status: 'starting' };
  return JSON.parse(readFileSync(path, 'utf8')) as DeployState;
}

/**
 * Resolves once the integration global setup has LocalStack running and the reference stacks
 * deployed, and throws with the error when either failed. The setup does both while the unit
 * tests run; each integration file waits here (test/integration/support/await-reference-stacks.ts).
 * Without the global setup (no state file named) there is nothing to wait for.
 */
export async function referenceStacksDeployed(pollMs = 200): Promise<void> {
  const path = process.env[DEPLOY_STATE_ENV];
  if (!path) return;
  for (;;) {
    const state = readDeployState(path);
    if (state.status === 'deployed') return;
    if (state.status === 'failed' && state.phase === 'localstack') {
      throw new Error(
        `LocalStack did not start, so the integration tests cannot run: ${state.message} (its log: .lanes/localstack.log)`,
      );
    }
    if (state.status === 'failed') {
      throw new Error(
        `The reference stacks did not deploy, so the integration tests cannot run: ${state.message} (the deploy's output: .lanes/deploy.log)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
