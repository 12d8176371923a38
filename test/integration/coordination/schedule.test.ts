import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '#shared/coordination/clock.ts';
import { DynamoDBLeaseStore } from '#shared/coordination/dynamodb-lease-store.ts';
import { FencedWriter } from '#shared/coordination/fencing.ts';
import { type ScheduleWindow, SingletonSchedule } from '#shared/coordination/schedule.ts';
import { useCoordinationTable } from '#test/integration/coordination/support/table.ts';

const client = new DynamoDBClient({});
const table = useCoordinationTable(client);

const MINUTE = 60_000;
const T0 = 29_000_000 * MINUTE;

describe('Singleton schedule on DynamoDB', () => {
  it('runs 10 windows exactly 10 times when each is triggered twice, then catches up after a pause', async () => {
    const clock = new ManualClock(T0);
    const writer = new FencedWriter({ client });
    // Two schedulers (two replicas) sharing the table; every window is triggered on both.
    const replicas = ['r1', 'r2'].map(
      (owner) =>
        new SingletonSchedule({
          store: new DynamoDBLeaseStore({
            tableName: table.name,
            client,
            clock,
            owner,
            defaultDurationMs: 30_000,
          }),
          name: 'sweep',
          intervalMs: MINUTE,
          catchUpWindows: 5,
        }),
    );
    const runs: ScheduleWindow[] = [];
    const work = async (w: ScheduleWindow) => {
      runs.push(w);
      // The effect: a fenced counter per window, to check it on the table too.
      await writer.update(
        {
          TableName: table.name,
          Key: { pk: { S: `run#${w.windowStartMs}` } },
          UpdateExpression: 'ADD #n :one',
          ExpressionAttributeNames: { '#n': 'runs' },
          ExpressionAttributeValues: { ':one': { N: '1' } },
        },
        w.token,
      );
    };
    const triggerWindow = async (k: number) => {
      clock.set(T0 + k * MINUTE + 1_000);
      await Promise.all(replicas.map((r) => r.trigger(T0 + k * MINUTE + 5, work)));
    };

    for (let k = 0; k < 10; k++) await triggerWindow(k);
    const afterTen = runs.map((w) => (w.windowStartMs - T0) / MINUTE);
    // Pause: windows 10..13 get no trigger at all; window 14 triggers again.
    await triggerWindow(14);
    const caughtUp = runs.slice(10).map((w) => [(w.windowStartMs - T0) / MINUTE, w.catchUp]);
    const counters = await Promise.all(
      Array.from({ length: 15 }, async (_, k) => {
        const out = await client.send(
          new GetItemCommand({
            TableName: table.name,
            Key: { pk: { S: `run#${T0 + k * MINUTE}` } },
            ConsistentRead: true,
          }),
        );
        return Number(out.Item?.runs?.N ?? 0);
      }),
    );

    expect(afterTen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(caughtUp).toEqual([
      [10, true],
      [11, true],
      [12, true],
      [13, true],
      [14, false],
    ]);
    expect(counters).toEqual(Array.from({ length: 15 }, () => 1));
  });

  it('runs partitions of a window in parallel, each once, under their own leases', async () => {
    const clock = new ManualClock(T0);
    const schedule = new SingletonSchedule({
      store: new DynamoDBLeaseStore({ tableName: table.name, client, clock }),
      name: 'partitioned',
      intervalMs: MINUTE,
      partitions: 4,
    });
    const started: number[] = [];
    let active = 0;
    let maxActive = 0;
    const work = async (w: ScheduleWindow) => {
      started.push(w.partition);
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 100));
      active--;
    };

    await Promise.all([schedule.trigger(T0, work), schedule.trigger(T0 + 1, work)]);

    expect(started.sort()).toEqual([0, 1, 2, 3]);
    expect(maxActive).toBe(4);
  });
});
