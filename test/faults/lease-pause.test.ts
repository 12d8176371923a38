import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDBLeaseStore } from '#shared/coordination/dynamodb-lease-store.ts';
import { LeaseHeldError } from '#shared/coordination/errors.ts';
import { FencedWriter } from '#shared/coordination/fencing.ts';
import { recordFault } from './support/results.ts';
import { faultRunId, faultsStack, seconds, waitUntil } from './support/stack.ts';

/**
 * A lease holder is frozen (SIGSTOP) past its lease, as a paused VM or a frozen Lambda sandbox
 * would be; another holder takes the lease over and writes; the frozen one is resumed (SIGCONT)
 * and goes on writing with its old token before it notices. Fencing must keep every one of its
 * late writes out.
 */
const LEASE_MS = 2_000;
const stack = faultsStack();
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
});

interface Attempt {
  readonly n: number;
  readonly token: number;
  readonly outcome: string;
  readonly aborted: boolean;
  readonly atMs: number;
}

function startHolder(leaseName: string) {
  // node itself with tsx as a loader (not the tsx wrapper, which runs the script in a child
  // process): the pid we pause is the one that holds the lease.
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/faults/support/lease-holder.ts',
      stack.coordinationTableName,
      leaseName,
      String(LEASE_MS),
    ],
    { env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  children.push(child);
  const attempts: Attempt[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    attempts.push({ ...(JSON.parse(line) as Omit<Attempt, 'atMs'>), atMs: Date.now() });
  });
  return { child, attempts, stderr: () => stderr };
}

describe('fault: a lease holder paused past its lease, then resumed', () => {
  it('the new holder takes over after the lease; every write of the resumed old holder is rejected by the fence', async () => {
    const leaseName = faultRunId('paused');
    const holder = startHolder(leaseName);
    await waitUntil(
      'the holder to write 3 times',
      async () => ({
        done: holder.attempts.filter((a) => a.outcome === 'written').length >= 3 ? true : undefined,
        state: `${holder.attempts.length} attempts; stderr: ${holder.stderr().slice(-300)}`,
      }),
      60_000,
      100,
    );

    holder.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    const oldToken = holder.attempts.at(-1)?.token as number;
    const contender = new DynamoDBLeaseStore({
      tableName: stack.coordinationTableName,
      owner: 'contender',
    });
    const lease = await waitUntil(
      'the contender to acquire the lease',
      async () => {
        try {
          return {
            done: await contender.acquire(leaseName, { durationMs: 30_000 }),
            state: 'acquired',
          };
        } catch (error) {
          if (error instanceof LeaseHeldError) return { done: undefined, state: error.message };
          throw error;
        }
      },
      30_000,
      100,
    );
    const takenOverAt = Date.now();
    const writer = new FencedWriter({ client: contender.client });
    const contenderWrites = 3;
    for (let n = 1; n <= contenderWrites; n++) {
      await writer.update(
        {
          TableName: stack.coordinationTableName,
          Key: { pk: { S: `fenced#${leaseName}` } },
          UpdateExpression: 'SET #log = list_append(if_not_exists(#log, :empty), :entry)',
          ExpressionAttributeNames: { '#log': 'log' },
          ExpressionAttributeValues: {
            ':empty': { L: [] },
            ':entry': { L: [{ S: `contender:${lease.token}:${n}` }] },
          },
        },
        lease.token,
      );
    }
    const beforeResume = holder.attempts.length;
    holder.child.kill('SIGCONT');
    const late = await waitUntil(
      'the resumed holder to try 5 more writes',
      async () => {
        const attempts = holder.attempts.slice(beforeResume);
        return {
          done: attempts.length >= 5 ? attempts : undefined,
          state: `${attempts.length} attempts`,
        };
      },
      30_000,
      100,
    );
    const item = await stack.documentClient.send(
      new GetItemCommand({
        TableName: stack.coordinationTableName,
        Key: { pk: { S: `fenced#${leaseName}` } },
        ConsistentRead: true,
      }),
    );
    const log = (item.Item?.log?.L ?? []).map((entry) => entry.S as string);
    const firstContender = log.findIndex((entry) => entry.startsWith('contender:'));
    const afterTakeover = log.slice(firstContender);
    const lateApplied = afterTakeover.filter((entry) => !entry.startsWith('contender:')).length;
    // A write already on the wire when the holder froze landed before the takeover; its answer
    // is only read after the resume. Every other attempt after the resume is a late write.
    const owner = `paused-${holder.child.pid}`;
    const landedBefore = new Set(log.slice(0, firstContender));
    const lateWrites = late.filter((a) => !landedBefore.has(`${owner}:${a.token}:${a.n}`));
    const acknowledged = holder.attempts.filter((a) => a.outcome === 'written').length;

    recordFault({
      scenario: 'lease-holder-paused',
      fault: `lease holder SIGSTOPped past its ${LEASE_MS} ms lease, a contender takes over and writes, the holder is resumed (SIGCONT) and keeps writing with its old token`,
      sent: beforeResume + late.length + contenderWrites,
      processed: log.length,
      effectsApplied: log.length,
      duplicates: lateApplied,
      lost: acknowledged + contenderWrites - log.length,
      inDlq: 0,
      expectedInDlq: 0,
      recoverySeconds: seconds(takenOverAt - pausedAt),
      details: {
        oldToken,
        newToken: lease.token,
        lateWriteAttempts: lateWrites.length,
        lateWritesRejected: lateWrites.filter((a) => a.outcome === 'StaleTokenError').length,
        lateWritesApplied: lateApplied,
      },
      notes:
        'duplicates: writes of the old holder that landed after the takeover (two holders acting). recoverySeconds: from the pause until the contender held the lease.',
    });

    expect(lease.token).toBeGreaterThan(oldToken);
    expect(takenOverAt - pausedAt).toBeGreaterThanOrEqual(LEASE_MS - 1_000);
    // Every write the resumed holder tried carried its old token and was rejected.
    expect(lateWrites.length).toBeGreaterThanOrEqual(4);
    expect(lateWrites.map((a) => [a.token, a.outcome])).toEqual(
      lateWrites.map(() => [oldToken, 'StaleTokenError']),
    );
    expect(lateApplied).toBe(0);
    expect(afterTakeover.slice(0, contenderWrites)).toEqual(
      Array.from({ length: contenderWrites }, (_, i) => `contender:${lease.token}:${i + 1}`),
    );
    // Nothing acknowledged was lost: the holder's writes before the pause and the contender's.
    expect(log.length).toBe(acknowledged + contenderWrites);
  });
});
