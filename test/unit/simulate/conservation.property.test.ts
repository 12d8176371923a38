import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSimulation } from '#shared/simulate/engine.ts';
import type { WorkerModel } from '#shared/simulate/worker.ts';
import { parseWorkload } from '#shared/simulate/workload.ts';
import { type TestWorker, testApp } from './support.ts';

const workerArb: fc.Arbitrary<TestWorker> = fc.record({
  fifo: fc.boolean(),
  batchSize: fc.integer({ min: 1, max: 10 }),
  windowSeconds: fc.constantFrom(0, 0, 1),
  maxConcurrency: fc.option(fc.integer({ min: 2, max: 20 }), { nil: undefined }),
  reservedConcurrency: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  visibilityTimeoutSeconds: fc.integer({ min: 2, max: 60 }),
  maxReceiveCount: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  timeoutSeconds: fc.integer({ min: 1, max: 5 }),
  reportBatchItemFailures: fc.boolean(),
  lanesRuntime: fc.boolean(),
  highThroughput: fc.boolean(),
  tables: fc.constant(['Results']),
});

const behaviourArb = fc.record({
  recordMs: fc.oneof(
    fc.integer({ min: 0, max: 300 }),
    fc.record({
      distribution: fc.constant('uniform' as const),
      minMs: fc.constant(1),
      maxMs: fc.integer({ min: 2, max: 3000 }),
    }),
  ),
  errorRate: fc.constantFrom(0, 0.05, 0.3, 1),
  keyPolicy: fc.option(
    fc.oneof(
      fc.constant({ kind: 'skip' as const }),
      fc.constant({ kind: 'queue' as const }),
      fc.record({ kind: fc.constant('limit' as const), max: fc.integer({ min: 1, max: 3 }) }),
    ),
    { nil: undefined },
  ),
  writesPerRecord: fc.constantFrom(0, 0, 1),
  partitions: fc.constantFrom(1, 4),
  fairQueue: fc.boolean(),
});

const producerArb = fc.record({
  rate: fc.oneof(
    fc.record({
      shape: fc.constant('constant' as const),
      perSecond: fc.integer({ min: 1, max: 300 }),
    }),
    fc.record({
      shape: fc.constant('spike' as const),
      basePerSecond: fc.integer({ min: 0, max: 20 }),
      messages: fc.integer({ min: 1, max: 3000 }),
      atSeconds: fc.integer({ min: 0, max: 5 }),
      forSeconds: fc.constantFrom(0.1, 1, 3),
    }),
  ),
  keys: fc.oneof(
    fc.record({
      distribution: fc.constant('uniform' as const),
      count: fc.integer({ min: 1, max: 50 }),
    }),
    fc.record({
      distribution: fc.constant('hot' as const),
      count: fc.integer({ min: 2, max: 50 }),
      hotShare: fc.constantFrom(0.3, 0.9),
    }),
  ),
  via: fc.constantFrom('direct' as const, 'eventbridge' as const),
  process: fc.constantFrom('poisson' as const, 'even' as const),
});

/** Every message a worker was offered is in exactly one place. */
function account(w: WorkerModel) {
  const s = w.stats;
  return {
    inQueue: w.queue.backlog + w.queue.inFlight,
    accepted: s.sent,
    left: s.processed + s.skipped + s.redriven + s.deadLettered + s.lostFailures,
    waitingToBeSent: w.unsent + w.pendingArrivals,
  };
}

describe('the model loses and duplicates no message (property)', () => {
  it('sent = processed + skipped + dead-lettered + lost by the app + still queued, at every end', () => {
    fc.assert(
      fc.property(
        workerArb,
        behaviourArb,
        fc.array(producerArb, { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 3, max: 20 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        fc.constantFrom(60, 3600),
        (worker, behaviour, producers, durationSeconds, perEvent, seed, drainLimitSeconds) => {
          const fair = behaviour.fairQueue && !worker.fifo;
          const workload = parseWorkload(
            {
              durationSeconds,
              drainLimitSeconds,
              seed,
              producers: producers.map((p, i) => ({ name: `p${i}`, ...p })),
              workers: {
                W: {
                  recordMs: behaviour.recordMs,
                  errorRate: behaviour.errorRate,
                  ...(behaviour.keyPolicy ? { keyPolicy: behaviour.keyPolicy } : {}),
                  writesPerRecord: behaviour.writesPerRecord,
                  partitions: behaviour.partitions,
                  fairQueue: fair,
                },
              },
              model: { perEvent },
            },
            'property',
          );
          const negative: string[] = [];
          const run = runSimulation(testApp(worker), workload, {
            onEvent: (now, parts) => {
              const q = parts.workers[0]?.queue;
              if (q && (q.visible < 0 || q.inFlight < 0 || q.delayed < 0))
                negative.push(
                  `at ${now}: visible ${q.visible}, in flight ${q.inFlight}, delayed ${q.delayed}`,
                );
            },
          });
          const w = run.parts.workers[0] as WorkerModel;
          const offered = run.parts.producers.reduce((n, p) => n + p.sentMessages, 0);
          const a = account(w);
          expect(negative).toEqual([]);
          expect(a.accepted + a.waitingToBeSent).toBe(offered);
          expect(a.left + a.inQueue).toBe(a.accepted);
          if (run.drained) expect(a.inQueue + a.waitingToBeSent).toBe(0);
        },
      ),
      {
        numRuns: Number(process.env.PROPERTY_RUNS ?? 60),
        seed: Number(process.env.PROPERTY_SEED ?? 20_261_201),
      },
    );
  });
});
