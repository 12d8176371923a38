import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDBLeaseStore } from '#shared/coordination/dynamodb-lease-store.ts';
import { LeaseHeldError } from '#shared/coordination/errors.ts';
import { FencedWriter } from '#shared/coordination/fencing.ts';
import { startHolder } from '#test/integration/coordination/support/child.ts';
import { useCoordinationTable } from '#test/integration/coordination/support/table.ts';

const client = new DynamoDBClient({});
const table = useCoordinationTable(client);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Leases on DynamoDB', () => {
  it('gives 50 concurrent contenders exactly one holder per token over 1,000 acquisitions', async () => {
    const name = 'contended';
    const target = 1_000;
    const acquisitions: { token: number; owner: string }[] = [];
    let holding = 0;
    let maxHolding = 0;
    let attempts = 0;

    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const store = new DynamoDBLeaseStore({
          tableName: table.name,
          client,
          owner: `c${i}`,
          defaultDurationMs: 30_000,
        });
        while (acquisitions.length < target) {
          attempts++;
          const { lease } = await store.tryAcquire(name);
          // Pace the contenders so LocalStack serves them (all 50 keep contending every round).
          const pause = sleep(200 + Math.random() * 400);
          if (!lease) {
            await pause;
            continue;
          }
          holding++;
          maxHolding = Math.max(maxHolding, holding);
          acquisitions.push({ token: lease.token, owner: lease.owner });
          holding--;
          await store.release(lease);
          await pause;
        }
      }),
    );

    const tokens = acquisitions.map((a) => a.token);
    expect(maxHolding).toBe(1);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.length).toBeGreaterThanOrEqual(target);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBe((tokens[i - 1] ?? 0) + 1);
    expect(new Set(acquisitions.map((a) => a.owner)).size).toBeGreaterThan(1);
    console.log(`[leases] ${tokens.length} acquisitions by 50 contenders in ${attempts} attempts`);
  });

  it('replaces a holder that stops renewing after the lease duration and rejects its later fenced writes', async () => {
    const name = 'stalled';
    const durationMs = 2_000;
    const holder = startHolder([table.name, 'lease', name, String(durationMs)]);
    try {
      const first = await holder.next();
      expect(first).toMatchObject({ write: 'written' });
      const startedMs = Date.now();
      const contender = new DynamoDBLeaseStore({
        tableName: table.name,
        client,
        owner: 'successor',
      });
      const writer = new FencedWriter({ client });

      await expect(contender.acquire(name, { durationMs })).rejects.toBeInstanceOf(LeaseHeldError);
      let lease = (await contender.tryAcquire(name, { durationMs })).lease;
      while (!lease) {
        await sleep(100);
        lease = (await contender.tryAcquire(name, { durationMs })).lease;
      }
      const takeoverMs = Date.now() - startedMs;
      await writer.update(
        {
          TableName: table.name,
          Key: { pk: { S: `fenced#${name}` } },
          UpdateExpression: 'SET #w = :w',
          ExpressionAttributeNames: { '#w': 'writer' },
          ExpressionAttributeValues: { ':w': { S: 'successor' } },
        },
        lease.token,
      );
      holder.send('write');
      const late = await holder.next();
      const item = await client.send(
        new GetItemCommand({
          TableName: table.name,
          Key: { pk: { S: `fenced#${name}` } },
          ConsistentRead: true,
        }),
      );

      expect(lease.token).toBe(Number(first.acquired) + 1);
      expect(takeoverMs).toBeLessThan(durationMs + 1_500);
      expect(late).toEqual({ write: 'StaleTokenError' });
      expect(item.Item?.writer?.S).toBe('successor');
      expect(item.Item?.fenceToken?.N).toBe(String(lease.token));
    } finally {
      await holder.kill();
    }
  });
});
