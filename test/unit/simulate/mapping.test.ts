import { describe, expect, it } from 'vitest';
import { AWS } from '#shared/simulate/limits.ts';
import { rowsOf, simulate, testApp } from './support.ts';

/** A backlog that lasts: `messages` sent in the first second, records that take `recordMs`. */
const backlog = (messages: number, recordMs: number, extra: Record<string, unknown> = {}) => ({
  durationSeconds: 1,
  drainLimitSeconds: 900,
  sampleSeconds: 0.5,
  producers: [
    {
      name: 'burst',
      rate: { shape: 'spike' as const, messages, atSeconds: 0, forSeconds: 1 },
      process: 'even' as const,
    },
  ],
  workers: { W: { recordMs, ...extra } },
});

describe('event source mapping', () => {
  describe('standard queue scaling (5 concurrent batches, then up to +300 per minute, at most 1,000)', () => {
    const { run, summary } = simulate(testApp({}), backlog(3_000_000, 2000));
    const rows = rowsOf(run);
    const target = (t: number) => rows.find((r) => r.t === t)?.mappingConcurrency ?? -1;

    it('starts at 5 concurrent batches', () => {
      expect(target(0.5)).toBe(AWS.esm.standardInitialConcurrency);
    });

    it('adds 300 per minute while messages remain', () => {
      expect(target(60.5)).toBe(305);
      expect(target(120.5)).toBe(605);
      const running = rows.find((r) => r.t === 120.5)?.concurrency ?? 0;
      expect(running).toBeGreaterThan(550);
    });

    it('stops at 1,000 concurrent batches per mapping', () => {
      expect(Math.max(...rows.map((r) => r.mappingConcurrency))).toBe(1000);
      expect(summary.peakConcurrency).toBeLessThanOrEqual(1000);
      expect(summary.peakConcurrency).toBeGreaterThan(950);
    });

    it('scales back to 5 once the queue is empty', () => {
      expect(summary.messages.remaining).toBe(0);
      expect(rows[rows.length - 1]?.mappingConcurrency).toBe(AWS.esm.standardInitialConcurrency);
    });
  });

  it('never runs more invocations than ScalingConfig.MaximumConcurrency', () => {
    const { run, summary } = simulate(testApp({ maxConcurrency: 50 }), backlog(200_000, 500));
    expect(summary.peakConcurrency).toBe(50);
    expect(Math.max(...rowsOf(run).map((r) => r.mappingConcurrency))).toBe(50);
  });

  it('on a FIFO queue, runs at most one batch per active message group', () => {
    const { summary } = simulate(testApp({ fifo: true, maxConcurrency: 100 }), {
      ...backlog(3000, 20),
      producers: [
        {
          name: 'three-customers',
          rate: { shape: 'spike', messages: 3000, atSeconds: 0, forSeconds: 1 },
          keys: { distribution: 'uniform', count: 3 },
          process: 'even',
        },
      ],
    });
    expect(summary.peakConcurrency).toBe(3);
    expect(summary.messages.processed).toBe(3000);
  });

  it('on a FIFO queue with many active groups, keeps MaximumConcurrency batches running', () => {
    const { run } = simulate(testApp({ fifo: true, maxConcurrency: 50 }), {
      ...backlog(100_000, 50),
      producers: [
        {
          name: 'many-customers',
          rate: { shape: 'spike', messages: 100_000, atSeconds: 0, forSeconds: 1 },
          keys: { distribution: 'uniform', count: 1000 },
          process: 'even',
        },
      ],
    });
    // Batches of 10 records of 50 ms, 20 ms between batches: busy 96 % of the time.
    const during = rowsOf(run).filter((r) => r.t >= 10 && r.t <= 60);
    for (const row of during) expect(row.concurrency).toBeGreaterThan(45);
  });

  it('in provisioned mode, starts at 10 invokes per minimum poller and adds about 1,000 per minute', () => {
    const { run } = simulate(
      testApp({ provisioned: { minimumPollers: 10, maximumPollers: 500 } }),
      { ...backlog(3_000_000, 5000), account: { concurrency: 20_000 } },
    );
    const rows = rowsOf(run);
    expect(rows.find((r) => r.t === 0.5)?.mappingConcurrency).toBe(100);
    const afterAMinute = rows.find((r) => r.t === 60.5)?.mappingConcurrency ?? 0;
    expect(afterAMinute).toBeGreaterThanOrEqual(1050);
    expect(afterAMinute).toBeLessThanOrEqual(1110);
    expect(Math.max(...rows.map((r) => r.mappingConcurrency))).toBe(5000);
  });

  it('waits up to the batching window to fill a batch, and no longer once it is full', () => {
    const slow = simulate(testApp({ batchSize: 100, windowSeconds: 2 }), {
      durationSeconds: 60,
      producers: [{ name: 'p', rate: { shape: 'constant', perSecond: 10 }, process: 'even' }],
      workers: { W: { recordMs: 1, coldStartMs: 0 } },
    });
    // 10 msg/s cannot fill 100 in 2 s: every batch waits out the window (about 20 records each).
    expect(slow.summary.invocations).toBeGreaterThanOrEqual(25);
    expect(slow.summary.invocations).toBeLessThanOrEqual(35);
    expect(slow.summary.dwellSeconds.max).toBeGreaterThan(1.9);
    expect(slow.summary.dwellSeconds.max).toBeLessThan(2.1);
    const fast = simulate(testApp({ batchSize: 100, windowSeconds: 2 }), {
      durationSeconds: 60,
      producers: [{ name: 'p', rate: { shape: 'constant', perSecond: 1000 }, process: 'even' }],
      workers: { W: { recordMs: 1 } },
    });
    // 1,000 msg/s fill a batch in 0.1 s: the window never runs out.
    expect(fast.summary.dwellSeconds.p99).toBeLessThan(0.5);
    expect(fast.summary.invocations).toBeLessThanOrEqual(700);
  });
});
