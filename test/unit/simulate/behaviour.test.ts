import { describe, expect, it } from 'vitest';
import { PartitionedTable } from '#shared/simulate/dynamodb.ts';
import { KeyPolicyModel } from '#shared/simulate/key-policy.ts';
import { HashedGroups, KeyNames } from '#shared/simulate/keys.ts';
import { Random } from '#shared/simulate/random.ts';
import { simulate, testApp } from './support.ts';

describe('record outcomes', () => {
  it('on FIFO, a failed record stops its group: later records of the group wait, in order', () => {
    const { summary } = simulate(
      testApp({
        fifo: true,
        maxConcurrency: 10,
        visibilityTimeoutSeconds: 30,
        maxReceiveCount: 10,
      }),
      {
        durationSeconds: 20,
        drainLimitSeconds: 1200,
        producers: [
          {
            name: 'p',
            rate: { shape: 'constant', perSecond: 50 },
            keys: { distribution: 'uniform', count: 2 },
            process: 'even',
          },
        ],
        workers: { W: { recordMs: 5, errorRate: 0.05 } },
      },
    );
    expect(summary.recordFailures).toBeGreaterThan(0);
    // Each failure blocks its group for the visibility timeout: the backlog waits that long.
    expect(summary.peakAgeSeconds).toBeGreaterThan(29);
    expect(summary.messages.processed).toBe(summary.messages.sent);
  });

  it('on FIFO, `records: groups` runs the groups of a batch at once; the default runs every record in turn', () => {
    const run = (records?: 'groups') =>
      simulate(testApp({ fifo: true, maxConcurrency: 1 }), {
        durationSeconds: 20,
        drainLimitSeconds: 600,
        producers: [
          {
            name: 'p',
            rate: { shape: 'constant', perSecond: 40 },
            keys: { distribution: 'uniform', count: 100 },
            process: 'even',
          },
        ],
        workers: { W: { recordMs: 100, ...(records ? { records } : {}) } },
      }).summary;
    const groups = run('groups');
    const sequential = run();
    // One batch at a time: records in turn manage 10/s, so 800 messages take about 80 s; batches
    // spread over many groups take about one record's time each.
    expect(sequential.completionSeconds ?? Number.POSITIVE_INFINITY).toBeGreaterThan(60);
    expect(groups.completionSeconds ?? Number.POSITIVE_INFINITY).toBeLessThan(30);
    expect(groups.messages.processed).toBe(groups.messages.sent);
  });

  it('without ReportBatchItemFailures, a partial failure deletes the failed records too', () => {
    const { summary } = simulate(testApp({ reportBatchItemFailures: false }), {
      durationSeconds: 10,
      producers: [{ name: 'p', rate: { shape: 'constant', perSecond: 100 }, process: 'even' }],
      workers: { W: { recordMs: 5, errorRate: 0.1 } },
    });
    expect(summary.messages.lostFailures).toBeGreaterThan(0);
    expect(summary.messages.processed + summary.messages.lostFailures).toBe(summary.messages.sent);
  });
});

describe('DynamoDB partitions', () => {
  it('accept 1,000 write units per partition per second', () => {
    const names = new KeyNames(10);
    const table = new PartitionedTable(4, HashedGroups.partitions(names, 4));
    expect(table.writeRecords(0, 800, 1, 100)).toBe(800);
    expect(table.writeRecords(0, 800, 1, 900)).toBe(200);
    expect(table.writeRecords(0, 300, 2, 1500)).toBe(300);
    expect(table.peakUnits[table.partitionOf(0)]).toBe(1000);
  });

  it('make a hot key fail records once its partition is over 1,000 writes per second', () => {
    const run = (hotShare: number) =>
      simulate(testApp({ maxConcurrency: 200, tables: ['Results'] }), {
        durationSeconds: 30,
        producers: [
          {
            name: 'p',
            rate: { shape: 'constant', perSecond: 3000 },
            keys: { distribution: 'hot', count: 1000, hotShare },
          },
        ],
        workers: { W: { recordMs: 2, writesPerRecord: 1 } },
      }).summary;
    const hot = run(0.3);
    expect(hot.dynamodb?.hottestPartitionPeakUnits).toBe(1000);
    expect(hot.dynamodb?.throttledRecords).toBeGreaterThan(1000);
    // Spread over the 4 partitions, 750 writes/s each: only the catch-up after the start hits a limit.
    const spread = run(0.001);
    expect(spread.dynamodb?.throttledRecords ?? 0).toBeLessThan(0.01 * spread.messages.sent);
    expect(hot.dynamodb?.throttledRecords ?? 0).toBeGreaterThan(
      10 * (spread.dynamodb?.throttledRecords ?? 0),
    );
  });
});

describe('lanes per-key policy', () => {
  it('limit(k) never runs more than k records of a key at once', () => {
    let worst = 0;
    const { summary } = simulate(
      testApp({ maxConcurrency: 100, maxReceiveCount: 5 }),
      {
        durationSeconds: 30,
        producers: [
          {
            name: 'p',
            rate: { shape: 'constant', perSecond: 500 },
            keys: { distribution: 'zipf', count: 50, exponent: 1.2 },
          },
        ],
        workers: { W: { recordMs: 50, keyPolicy: { kind: 'limit', max: 2 } } },
      },
      (_, workers) => {
        const policy = workers[0]?.behaviour.policy;
        if (policy) for (let k = 0; k < 50; k++) worst = Math.max(worst, policy.active(k));
      },
    );
    expect(worst).toBe(2);
    expect(summary.keyPolicy.postponed + summary.keyPolicy.requeued).toBeGreaterThan(0);
    expect(summary.messages.deadLetteredByRedrive).toBe(0);
    expect(summary.messages.processed).toBe(summary.messages.sent);
  });

  it("skip acknowledges a busy key's record without running it", () => {
    const { summary } = simulate(testApp({ maxConcurrency: 50 }), {
      durationSeconds: 10,
      producers: [
        {
          name: 'p',
          rate: { shape: 'constant', perSecond: 200 },
          keys: { distribution: 'uniform', count: 5 },
        },
      ],
      workers: { W: { recordMs: 100, keyPolicy: { kind: 'skip' } } },
    });
    expect(summary.messages.skipped).toBeGreaterThan(0);
    expect(summary.messages.processed + summary.messages.skipped).toBe(summary.messages.sent);
  });

  it("postpones with the runtime's backoff and requeues before maxReceiveCount on a standard queue", () => {
    const policy = new KeyPolicyModel({ kind: 'queue' }, 5, 30, new Random(1));
    expect(policy.acquire(7, 3)).toBe(1);
    const first = policy.busy(1, false);
    expect(first.action).toBe('delay');
    expect(first.action !== 'skip' && first.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(first.action !== 'skip' && first.delaySeconds).toBeLessThanOrEqual(2);
    expect(policy.busy(4, false).action).toBe('requeue');
    expect(policy.busy(4, true).action).toBe('delay');
    const late = policy.busy(20, false);
    expect(late.action !== 'skip' && late.delaySeconds).toBeLessThanOrEqual(30);
    policy.release(7, 1);
    expect(policy.active(7)).toBe(0);
  });
});
