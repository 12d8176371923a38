import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDBLeaseStore } from '#shared/coordination/dynamodb-lease-store.ts';
import { KeyBusyError, SemaphoreFullError } from '#shared/coordination/errors.ts';
import { KeyConcurrency, KeyPolicies } from '#shared/coordination/key-policy.ts';
import { Semaphore } from '#shared/coordination/semaphore.ts';
import { startHolder } from '#test/integration/coordination/support/child.ts';
import { useCoordinationTable } from '#test/integration/coordination/support/table.ts';

const client = new DynamoDBClient({});
const table = useCoordinationTable(client);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Limit(k) on DynamoDB', () => {
  it('never runs more than 3 of 30 concurrent runs for one key at once', async () => {
    let active = 0;
    let maxActive = 0;
    let queued = 0;
    const completed: number[] = [];

    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        // Each run is its own worker with its own store and owner id.
        const keys = new KeyConcurrency({
          store: new DynamoDBLeaseStore({ tableName: table.name, client, owner: `worker-${i}` }),
          job: 'limit-test',
          policy: KeyPolicies.limit(3),
          leaseDurationMs: 10_000,
        });
        for (let attempt = 1; ; attempt++) {
          try {
            await keys.run(
              'customer-1',
              async () => {
                active++;
                maxActive = Math.max(maxActive, active);
                await sleep(100);
                active--;
                completed.push(i);
              },
              attempt,
            );
            return;
          } catch (error) {
            if (!(error instanceof KeyBusyError)) throw error;
            queued++;
            await sleep(50 + Math.random() * 150); // the worker's visibility-timeout retry, shortened
          }
        }
      }),
    );

    console.log(
      `[limit] max concurrent runs seen: ${maxActive} (limit 3), busy retries: ${queued}`,
    );
    expect(completed.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(maxActive).toBeLessThanOrEqual(3);
    expect(maxActive).toBeGreaterThanOrEqual(2);
    expect(queued).toBeGreaterThan(0);
  });

  it('reclaims the slot of a killed holder after its lease duration', async () => {
    // Long enough that the two acquisitions and the refusal below end before the killed holder's
    // lease does, even on a busy machine; the wait for its expiry is measured from the lease.
    const durationMs = 5_000;
    const name = 'reclaim';
    const sem = new Semaphore(
      new DynamoDBLeaseStore({ tableName: table.name, client, owner: 'live' }),
      {
        limit: 3,
      },
    );
    const child = startHolder([table.name, 'slot', name, String(durationMs)]);
    const started = await child.next();
    await child.kill();
    const live = [
      await sem.acquire(name, { durationMs: 60_000 }),
      await sem.acquire(name, { durationMs: 60_000 }),
    ];

    await expect(sem.acquire(name, { durationMs: 60_000 })).rejects.toBeInstanceOf(
      SemaphoreFullError,
    );
    expect(Date.now()).toBeLessThan(Number(started.expiresAtMs));
    await sleep(Number(started.expiresAtMs) + 100 - Date.now());
    const reclaimed = await sem.acquire(name, { durationMs: 60_000 });

    expect(reclaimed.slot).toBe(started.slot);
    expect(live.map((p) => p.slot)).not.toContain(started.slot);
    expect(reclaimed.token).toBe(Number(started.acquired) + 1);
  });
});
