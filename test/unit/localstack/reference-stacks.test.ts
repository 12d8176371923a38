import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEPLOY_STATE_ENV,
  referenceStacksDeployed,
  writeDeployState,
} from '#test/integration/support/reference-stacks.ts';

/** How an integration file waits for the reference stacks the global setup deploys. */
describe('waiting for the reference stacks', () => {
  const previous = process.env[DEPLOY_STATE_ENV];
  afterEach(() => {
    if (previous === undefined) delete process.env[DEPLOY_STATE_ENV];
    else process.env[DEPLOY_STATE_ENV] = previous;
  });

  function stateFile(): string {
    const path = join(mkdtempSync(join(tmpdir(), 'deploy-state-')), 'state.json');
    process.env[DEPLOY_STATE_ENV] = path;
    return path;
  }

  it('resolves once the deploy is recorded as done, not before', async () => {
    const path = stateFile();
    writeDeployState(path, { status: 'deploying' });
    let resolved = false;
    const waiting = referenceStacksDeployed(10).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(resolved).toBe(false);
    writeDeployState(path, { status: 'deployed' });
    await waiting;
    expect(resolved).toBe(true);
  });

  it("fails with the deploy's own error and where its output is", async () => {
    const path = stateFile();
    writeDeployState(path, {
      status: 'failed',
      phase: 'deploy',
      message: 'Lanes-Pipeline: ROLLBACK_COMPLETE',
    });
    await expect(referenceStacksDeployed(10)).rejects.toThrow(
      /did not deploy.*Lanes-Pipeline: ROLLBACK_COMPLETE.*\.lanes\/deploy\.log/,
    );
  });

  it("fails with LocalStack's own error when it did not start", async () => {
    const path = stateFile();
    writeDeployState(path, { status: 'failed', phase: 'localstack', message: 'port 4566 in use' });
    await expect(referenceStacksDeployed(10)).rejects.toThrow(
      /LocalStack did not start.*port 4566 in use.*\.lanes\/localstack\.log/,
    );
  });

  it('waits while LocalStack starts, before the deploy has begun', async () => {
    const path = stateFile();
    writeDeployState(path, { status: 'starting' });
    let resolved = false;
    const waiting = referenceStacksDeployed(10).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(resolved).toBe(false);
    writeDeployState(path, { status: 'deploying' });
    await new Promise((r) => setTimeout(r, 30));
    expect(resolved).toBe(false);
    writeDeployState(path, { status: 'deployed' });
    await waiting;
    expect(resolved).toBe(true);
  });

  it('has nothing to wait for without the global setup', async () => {
    delete process.env[DEPLOY_STATE_ENV];
    await expect(referenceStacksDeployed(10)).resolves.toBeUndefined();
  });
});
