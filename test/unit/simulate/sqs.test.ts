import { describe, expect, it } from 'vitest';
import { type Cohort, cohort } from '#shared/simulate/cohort.ts';
import { AWS } from '#shared/simulate/limits.ts';
import { FairQueue, FifoQueue, type Scheduler } from '#shared/simulate/sqs.ts';
import { EventQueue } from '#shared/simulate/structures.ts';
import { rowsOf, simulate, testApp } from './support.ts';

/** A queue on a clock the test moves by hand. */
function handQueue<Q>(
  make: (scheduler: Scheduler, hooks: { onVisible(): void; onRedrive(c: Cohort): void }) => Q,
) {
  const events = new EventQueue();
  const redriven: Cohort[] = [];
  const scheduler: Scheduler = { schedule: (at, fire) => events.push({ at, fire }) };
  const queue = make(scheduler, { onVisible: () => {}, onRedrive: (c) => redriven.push(c) });
  const advance = (to: number) => {
    while (events.peekTime() <= to) events.pop()?.fire(to);
  };
  return { queue, advance, redriven };
}

const settings = { visibilityTimeoutMs: 30_000, maxReceiveCount: 3, callsPerSecond: undefined };
const exact = { ms: 0, relative: 0 };
const sendTimes = (batch: Cohort[]) =>
  batch.flatMap((c) => Array.from({ length: c.n }, (_, i) => c.t0 + i));

describe('SQS model', () => {
  describe('FIFO queue', () => {
    it('hands out a group in order, and nothing more of it while a batch of it is in flight', () => {
      const { queue } = handQueue((s, h) => new FifoQueue(settings, exact, s, h));
      for (let t = 1; t <= 30; t++) queue.send(cohort(1, t, t, 7, 7, 0), t);
      const first: Cohort[] = [];
      expect(queue.receive(10, 100, first)).toBe(10);
      expect(sendTimes(first)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(queue.receive(10, 100, [])).toBe(0);
      for (const c of first) queue.settle(c, undefined, 200);
      const second: Cohort[] = [];
      expect(queue.receive(10, 200, second)).toBe(10);
      expect(sendTimes(second)[0]).toBe(11);
    });

    it('keeps a group blocked until its failed message is visible again, then delivers it first', () => {
      const { queue, advance } = handQueue((s, h) => new FifoQueue(settings, exact, s, h));
      for (let t = 1; t <= 5; t++) queue.send(cohort(1, t, t, 1, 1, 0), t);
      const batch: Cohort[] = [];
      queue.receive(2, 10, batch);
      const [ok, failed] = batch as [Cohort, Cohort];
      queue.settle(ok, undefined, 50);
      queue.settle(failed, 10 + settings.visibilityTimeoutMs, 50);
      advance(20_000);
      expect(queue.receive(10, 20_000, [])).toBe(0);
      advance(30_010);
      const retry: Cohort[] = [];
      expect(queue.receive(10, 30_010, retry)).toBe(4);
      expect(retry[0]?.t0).toBe(2);
      expect(retry[0]?.rc).toBe(2);
    });

    it('moves a message received maxReceiveCount times to the DLQ on the next receive', () => {
      const { queue, advance, redriven } = handQueue(
        (s, h) => new FifoQueue(settings, exact, s, h),
      );
      queue.send(cohort(1, 0, 0, 1, 1, 0), 0);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const batch: Cohort[] = [];
        const at = (attempt - 1) * 30_000;
        advance(at);
        expect(queue.receive(10, at, batch)).toBe(1);
        queue.settle(batch[0] as Cohort, at + 30_000, at + 1);
      }
      advance(90_000);
      expect(queue.receive(10, 90_000, [])).toBe(0);
      expect(redriven).toHaveLength(1);
      expect(redriven[0]?.rc).toBe(3);
    });

    it('never has two batches of one message group in flight, with failures and retries', () => {
      const seen: string[] = [];
      const { summary } = simulate(
        testApp({ fifo: true, maxConcurrency: 50, visibilityTimeoutSeconds: 30 }),
        {
          durationSeconds: 60,
          producers: [
            {
              name: 'p',
              rate: { shape: 'constant', perSecond: 400 },
              keys: { distribution: 'zipf', count: 20, exponent: 1 },
            },
          ],
          workers: {
            W: { recordMs: { distribution: 'lognormal', p50Ms: 5, p99Ms: 40 }, errorRate: 0.02 },
          },
        },
        (now, workers) => {
          const owner = new Map<number, number>();
          let b = 0;
          for (const batch of workers[0]?.batchesInFlight() ?? []) {
            for (const c of batch) {
              const other = owner.get(c.group);
              if (other !== undefined && other !== b)
                seen.push(`group ${c.group} in two batches at ${now}`);
              owner.set(c.group, b);
            }
            b++;
          }
        },
      );
      expect(summary.recordFailures).toBeGreaterThan(100);
      expect(summary.messages.processed).toBeGreaterThan(20_000);
      expect(seen).toEqual([]);
    });

    it('throttles sends above 300 calls per second (3,000 messages/s) without high throughput', () => {
      const workload = {
        durationSeconds: 20,
        sampleSeconds: 1,
        producers: [
          {
            name: 'p',
            rate: { shape: 'constant' as const, perSecond: 5000 },
            keys: { distribution: 'uniform' as const, count: 500 },
          },
        ],
        workers: { W: { recordMs: 0.1 } },
      };
      const limited = simulate(
        testApp({ fifo: true, maxConcurrency: 1000, highThroughput: false }),
        workload,
      );
      const peak = Math.max(...rowsOf(limited.run).map((r) => r.arrivalsPerSecond));
      expect(peak).toBeLessThanOrEqual(AWS.sqs.fifoCallsPerSecond * AWS.sqs.messagesPerCall);
      expect(limited.summary.sendThrottles).toBeGreaterThan(20_000);
      const high = simulate(
        testApp({ fifo: true, maxConcurrency: 1000, highThroughput: true }),
        workload,
      );
      expect(high.summary.sendThrottles).toBe(0);
    });
  });

  describe('standard queue', () => {
    const failing = (lanesRuntime: boolean) =>
      simulate(testApp({ visibilityTimeoutSeconds: 30, maxReceiveCount: 3, lanesRuntime }), {
        durationSeconds: 1,
        drainLimitSeconds: 600,
        producers: [
          {
            name: 'p',
            rate: { shape: 'spike', messages: 1, atSeconds: 0, forSeconds: 1 },
            process: 'even',
          },
        ],
        workers: { W: { recordMs: 10, errorRate: 1, coldStartMs: 0 } },
      });

    it('retries a failed record after the visibility timeout and redrives it after maxReceiveCount receives', () => {
      const { summary, worker } = failing(false);
      expect(summary.recordFailures).toBe(3);
      expect(summary.messages.deadLetteredByRedrive).toBe(1);
      // Receives at 0, 30 and 60 s; the fourth receive, at 90 s, moves it to the DLQ.
      expect(worker.stats.lastDoneMs).toBeGreaterThanOrEqual(90_000);
      expect(worker.stats.lastDoneMs).toBeLessThan(91_000);
    });

    it('with the lanes runtime, dead-letters the record itself on its last receive', () => {
      const { summary, worker } = failing(true);
      expect(summary.messages.deadLetteredByRuntime).toBe(1);
      expect(summary.messages.deadLetteredByRedrive).toBe(0);
      expect(worker.stats.lastDoneMs).toBeGreaterThanOrEqual(60_000);
      expect(worker.stats.lastDoneMs).toBeLessThan(61_000);
    });

    it('counts throttled invocations as receives: healthy messages reach the DLQ', () => {
      const run = (reservedConcurrency: number) =>
        simulate(
          testApp({
            maxConcurrency: 20,
            reservedConcurrency,
            visibilityTimeoutSeconds: 20,
            maxReceiveCount: 2,
          }),
          {
            durationSeconds: 1,
            drainLimitSeconds: 3600,
            producers: [
              {
                name: 'p',
                rate: { shape: 'spike', messages: 2000, atSeconds: 0, forSeconds: 1 },
                process: 'even',
              },
            ],
            workers: { W: { recordMs: 3000 } },
          },
        ).summary;
      const throttled = run(2);
      expect(throttled.throttles).toBeGreaterThan(0);
      expect(throttled.recordFailures).toBe(0);
      expect(throttled.messages.deadLetteredByRedrive).toBeGreaterThan(0);
      const covered = run(20);
      expect(covered.throttles).toBe(0);
      expect(covered.messages.deadLetteredByRedrive).toBe(0);
      expect(covered.messages.processed).toBe(2000);
    });

    it('never has more than 120,000 messages in flight', () => {
      let peak = 0;
      simulate(
        testApp({ batchSize: 10_000, windowSeconds: 1 }),
        {
          durationSeconds: 1,
          drainLimitSeconds: 300,
          producers: [
            {
              name: 'p',
              rate: { shape: 'spike', messages: 300_000, atSeconds: 0, forSeconds: 1 },
              process: 'even',
            },
          ],
          workers: { W: { recordMs: 20_000, records: 'parallel' } },
        },
        (_, workers) => {
          peak = Math.max(peak, workers[0]?.queue.inFlight ?? 0);
        },
      );
      expect(peak).toBe(AWS.sqs.maxInFlight);
    });
  });

  describe('fair queue', () => {
    it('receives quiet tenants first once a tenant holds more than 10 % and at least 30 in flight', () => {
      const { queue } = handQueue((s, h) => new FairQueue(settings, exact, s, h));
      for (let t = 0; t < 100; t++) queue.send(cohort(1, t, t, 1, 1, 0), t);
      const noisyBatch: Cohort[] = [];
      queue.receive(40, 100, noisyBatch); // tenant 1 now has 40 in flight: all of them
      for (let t = 100; t < 105; t++) queue.send(cohort(1, t, t, 2, 2, 0), t);
      const next: Cohort[] = [];
      queue.receive(5, 200, next);
      expect(next.map((c) => c.group)).toEqual([2, 2, 2, 2, 2]);
      expect(queue.isNoisy(1)).toBe(true);
      expect(queue.deprioritized).toBeGreaterThan(0);
      const rest: Cohort[] = [];
      expect(queue.receive(10, 300, rest)).toBe(10);
      expect(rest.every((c) => c.group === 1)).toBe(true);
    });

    it('without a noisy tenant, receives oldest first across tenants', () => {
      const { queue } = handQueue((s, h) => new FairQueue(settings, exact, s, h));
      queue.send(cohort(1, 5, 5, 1, 1, 0), 5);
      queue.send(cohort(1, 3, 3, 2, 2, 0), 5);
      queue.send(cohort(1, 4, 4, 3, 3, 0), 5);
      const out: Cohort[] = [];
      queue.receive(3, 10, out);
      expect(out.map((c) => c.t0)).toEqual([3, 4, 5]);
    });
  });
});
