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

  it('runs cron windows (weekdays at noon) once each under duplicate triggers, partitioned, with catch-up after a pause', async () => {
    const at = (iso: string) => Date.parse(iso);
    const clock = new ManualClock(at('2026-03-02T12:00:01Z'));
    const writer = new FencedWriter({ client });
    const replicas = ['r1', 'r2'].map(
      (owner) =>
        new SingletonSchedule({
          store: new DynamoDBLeaseStore({ tableName: table.name, client, clock, owner }),
          name: 'weekday-report',
          cron: 'cron(0 12 ? * MON-FRI *)',
          partitions: 2,
          catchUpWindows: 3,
        }),
    );
    const runs: ScheduleWindow[] = [];
    const work = async (w: ScheduleWindow) => {
      runs.push(w);
      await writer.update(
        {
          TableName: table.name,
          Key: { pk: { S: `cron-run#${w.windowStartMs}#p${w.partition}` } },
          UpdateExpression: 'ADD #n :one',
          ExpressionAttributeNames: { '#n': 'runs' },
          ExpressionAttributeValues: { ':one': { N: '1' } },
        },
        w.token,
      );
    };
    const triggerAt = async (iso: string) => {
      clock.set(at(iso) + 1_000);
      // Both replicas get the trigger, twice (EventBridge may deliver an event more than once).
      await Promise.all([...replicas, ...replicas].map((r) => r.trigger(at(iso), work)));
    };

    await triggerAt('2026-03-02T12:00:00Z'); // Monday
    await triggerAt('2026-03-03T12:00:00Z'); // Tuesday
    // Down from Tuesday afternoon to Monday: Wednesday, Thursday and Friday had no trigger.
    await triggerAt('2026-03-09T12:00:00Z');

    const days = (list: ScheduleWindow[]) => [
      ...new Set(list.map((w) => new Date(w.windowStartMs).toISOString().slice(0, 10))),
    ];
    expect(days(runs)).toEqual([
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
      '2026-03-05',
      '2026-03-06',
      '2026-03-09',
    ]);
    expect(days(runs.filter((w) => w.catchUp))).toEqual(['2026-03-04', '2026-03-05', '2026-03-06']);
    // Friday's window runs to Monday noon, split in two halves of 36 hours.
    const friday = runs.filter((w) => w.windowStartMs === at('2026-03-06T12:00:00Z'));
    expect(friday.map((w) => [w.partition, w.startMs, w.endMs]).sort()).toEqual([
      [0, at('2026-03-06T12:00:00Z'), at('2026-03-08T00:00:00Z')],
      [1, at('2026-03-08T00:00:00Z'), at('2026-03-09T12:00:00Z')],
    ]);
    // Every (window, partition) exactly once, on the table as well.
    expect(runs).toHaveLength(6 * 2);
    for (const w of runs) {
      const out = await client.send(
        new GetItemCommand({
          TableName: table.name,
          Key: { pk: { S: `cron-run#${w.windowStartMs}#p${w.partition}` } },
          ConsistentRead: true,
        }),
      );
      expect(Number(out.Item?.runs?.N)).toBe(1);
    }
  });

  it('refuses a far-future trigger without moving the schedule state, and keeps running on time', async () => {
    const clock = new ManualClock(T0);
    const errors: string[] = [];
    const schedule = new SingletonSchedule({
      store: new DynamoDBLeaseStore({ tableName: table.name, client, clock }),
      name: 'guarded',
      intervalMs: MINUTE,
      logger: { error: (message: string) => errors.push(message) } as never,
    });
    const runs: number[] = [];
    const work = async (w: ScheduleWindow) => {
      runs.push(w.windowStartMs);
    };
    const leaseItem = async () =>
      (
        await client.send(
          new GetItemCommand({
            TableName: table.name,
            Key: { pk: { S: `lease#${schedule.leaseName(0)}` } },
            ConsistentRead: true,
          }),
        )
      ).Item;

    await schedule.trigger(T0, work);
    const before = await leaseItem();
    const refused = await schedule.trigger(Date.parse('2031-06-01T00:00:00Z'), work);
    const after = await leaseItem();
    clock.set(T0 + MINUTE + 500);
    await schedule.trigger(T0 + MINUTE, work);

    expect(refused.refused?.reason).toMatch(
      /2031-06-01T00:00:00\.000Z is \d+ s ahead of the clock/,
    );
    expect(after).toEqual(before);
    expect(before?.lastWindowMs?.N).toBe(String(T0));
    expect(errors).toEqual([
      expect.stringMatching(/^Schedule guarded: trigger refused, nothing run/),
    ]);
    expect(runs).toEqual([T0, T0 + MINUTE]);
  });
});
