import { resolve } from 'node:path';
import { CloudFormationClient, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployAll } from '#cli/deploy.ts';
import { runCli } from '#cli/lanes.ts';
import { STATE_DIR } from '#localstack/settings.ts';
import {
  dynamodb,
  lanesMappingAvailable,
  NEEDS_EMBEDDED,
  sendAll,
  waitUntil,
} from '#test/integration/event-source-mapping/support/esm.ts';
import { stackOutputs } from '#test/integration/support/outputs.ts';
import { testTarget } from '#test/integration/support/target.ts';
import { CANARY_STACK, CODE_VERSION_ENV } from './support/canary-app.ts';

/**
 * A canary worker deployed with CDK (Worker `canary: { percent: 10 }`): its mapping invokes the
 * alias; a deploy of new code sets the alias to 10 % on the new version (on AWS CodeDeploy does,
 * locally the embedded LocalStack plays its part); 1,000 events then go 7-13 % to the new
 * version; `lanes canary rollback` returns all traffic to the old one; a later canary is
 * promoted with `lanes canary promote`.
 */
const run = `can${Date.now().toString(36)}`;
let available = false;

async function deploy(codeVersion: string) {
  process.env[CODE_VERSION_ENV] = codeVersion;
  await deployAll(testTarget(), {
    stacks: [CANARY_STACK],
    app: {
      command: 'node bin/lanes-dev.mjs test/integration/operations/support/canary-app.ts',
      output: resolve(STATE_DIR, 'cdk.out.canary'),
    },
  });
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(
    [...argv, '--stack', CANARY_STACK],
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { status, out: out.join('\n'), err: err.join('\n') };
}

/** Sends `count` events labelled `label` and returns, once all are handled, the codes that ran them. */
async function handled(label: string, count: number): Promise<Map<string, number>> {
  const outputs = stackOutputs(CANARY_STACK);
  const queue = { url: outputs.QueueUrl ?? '', arn: '' };
  const bodies = Array.from({ length: count }, (_, n) => ({ body: `${run}-${label}-${n}` }));
  await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      sendAll(
        queue,
        bodies.filter((_, n) => n % 5 === i),
      ),
    ),
  );
  return waitUntil(
    `${count} ${label} events handled`,
    async () => {
      const codes = new Map<string, number>();
      let total = 0;
      let ExclusiveStartKey: Record<string, never> | undefined;
      do {
        const page = await dynamodb.send(
          new ScanCommand({ TableName: outputs.VersionsTableName, ExclusiveStartKey }),
        );
        for (const item of page.Items ?? []) {
          if (!item.pk?.S?.startsWith(`${run}-${label}-`)) continue;
          total++;
          const code = item.code?.S ?? '?';
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
        ExclusiveStartKey = page.LastEvaluatedKey as typeof ExclusiveStartKey;
      } while (ExclusiveStartKey);
      return { done: total >= count, value: codes, state: `${total}/${count}` };
    },
    180_000,
  );
}

beforeAll(async () => {
  available = await lanesMappingAvailable();
  if (!available) return;
  await deploy('1');
  await deploy('2'); // new code: the deploy starts the canary
}, 600_000);

afterAll(async () => {
  delete process.env[CODE_VERSION_ENV];
  if (available) {
    await new CloudFormationClient({})
      .send(new DeleteStackCommand({ StackName: CANARY_STACK }))
      .catch(() => {});
  }
});

describe('canary releases of a worker', () => {
  it('sends 7-13 % of 1,000 events to the new version, and rollback returns all traffic to the old one', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const status = await cli('canary', 'status', 'canary');
    expect(status.status, status.err).toBe(0);
    expect(status.out).toMatch(/canary: alias live -> version 1 90 %, version 2 10 % \(canary\)/);
    expect(status.out).toMatch(/configured: 10 % for 60 min, then all/);

    const codes = await handled('split', 1_000);
    const share = (codes.get('2') ?? 0) / 1_000;
    console.info(
      `[canary] 1,000 events: ${codes.get('1') ?? 0} on version 1, ${codes.get('2') ?? 0} on version 2 (${(share * 100).toFixed(1)} %)`,
    );
    expect((codes.get('1') ?? 0) + (codes.get('2') ?? 0)).toBe(1_000);
    expect(share).toBeGreaterThanOrEqual(0.07);
    expect(share).toBeLessThanOrEqual(0.13);

    const rollback = await cli('canary', 'rollback', 'canary');
    expect(rollback.status, rollback.err).toBe(0);
    expect(rollback.out).toMatch(
      /\[canary\] canary: rollback \(was: alias live -> version 1 90 %, version 2 10 % \(canary\)\)/,
    );
    expect(rollback.out).toMatch(/alias live -> version 1 100 % \(no canary\)/);
    const after = await handled('after', 200);
    expect(after.get('1')).toBe(200);
    expect(after.get('2')).toBeUndefined();
    const again = await cli('canary', 'rollback', 'canary');
    expect(again.status).toBe(1);
    expect(again.err).toMatch(/runs no canary: all of live already goes to version 1/);
  });

  it('promotes the next canary: all traffic to the new version', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    await deploy('3');
    const status = await cli('canary', 'status', 'canary');
    expect(status.out).toMatch(/alias live -> version 1 90 %, version 3 10 % \(canary\)/);
    const promote = await cli('canary', 'promote', 'canary');
    expect(promote.status, promote.err).toBe(0);
    expect(promote.out).toMatch(/alias live -> version 3 100 % \(no canary\)/);
    const codes = await handled('promoted', 100);
    expect(codes.get('3')).toBe(100);
  });
});
