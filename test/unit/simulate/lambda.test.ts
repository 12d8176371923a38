import { describe, expect, it } from 'vitest';
import { ConcurrencyPool, FunctionModel } from '#shared/simulate/lambda.ts';
import { AWS } from '#shared/simulate/limits.ts';
import { simulate, testApp } from './support.ts';

const settings = (reservedConcurrency?: number) => ({
  name: 'f',
  timeoutMs: 15_000,
  memoryMb: 1024,
  arm: false,
  reservedConcurrency,
});

describe('Lambda model', () => {
  it('throttles beyond reserved concurrency', () => {
    const fn = new FunctionModel(settings(3), new ConcurrencyPool(1000), {
      idleEnvironmentMs: 300_000,
    });
    const results = Array.from({ length: 5 }, () => fn.tryStart(0));
    expect(results).toEqual(['cold', 'cold', 'cold', 'throttled', 'throttled']);
    expect(fn.throttles).toBe(2);
  });

  it('shares the unreserved account pool between functions without a reservation', () => {
    const pool = new ConcurrencyPool(4);
    const a = new FunctionModel(settings(), pool, { idleEnvironmentMs: 300_000 });
    const b = new FunctionModel(settings(), pool, { idleEnvironmentMs: 300_000 });
    for (let i = 0; i < 3; i++) expect(a.tryStart(0)).toBe('cold');
    expect(b.tryStart(0)).toBe('cold');
    expect(b.tryStart(0)).toBe('throttled');
    a.finish(10, 10, true);
    expect(b.tryStart(10)).toBe('cold');
  });

  it('reuses a warm environment and cold-starts again after the idle time', () => {
    const fn = new FunctionModel(settings(), new ConcurrencyPool(10), {
      idleEnvironmentMs: 60_000,
    });
    expect(fn.tryStart(0)).toBe('cold');
    fn.finish(100, 100, true);
    expect(fn.tryStart(30_000)).toBe('warm');
    fn.finish(30_100, 100, true);
    expect(fn.tryStart(100_000)).toBe('cold');
    expect(fn.coldStarts).toBe(2);
  });

  it('replaces the environment of a timed-out invocation', () => {
    const fn = new FunctionModel(settings(), new ConcurrencyPool(10), {
      idleEnvironmentMs: 60_000,
    });
    fn.tryStart(0);
    fn.finish(15_000, 15_000, false);
    expect(fn.tryStart(15_001)).toBe('cold');
  });

  it('creates at most 1,000 execution environments per 10 s per function', () => {
    const fn = new FunctionModel(settings(), new ConcurrencyPool(5000), {
      idleEnvironmentMs: 300_000,
    });
    let started = 0;
    for (let i = 0; i < 1500; i++) if (fn.tryStart(0) !== 'throttled') started++;
    expect(started).toBe(AWS.lambda.environmentsPer10Seconds);
    for (let i = 0; i < 600; i++) if (fn.tryStart(5_000) !== 'throttled') started++;
    expect(started).toBe(1500);
  });

  it('bills duration in GB-seconds, rounded up to the millisecond', () => {
    const fn = new FunctionModel(settings(), new ConcurrencyPool(10), {
      idleEnvironmentMs: 60_000,
    });
    fn.tryStart(0);
    fn.finish(1000, 999.2, true);
    expect(fn.gbSeconds).toBeCloseTo(1.0, 6);
  });

  describe('in a run', () => {
    const run = (timeoutSeconds: number, errorRate = 0) =>
      simulate(testApp({ timeoutSeconds, visibilityTimeoutSeconds: 60, maxReceiveCount: 3 }), {
        durationSeconds: 10,
        drainLimitSeconds: 600,
        producers: [{ name: 'p', rate: { shape: 'constant', perSecond: 20 }, process: 'even' }],
        workers: {
          W: {
            recordMs: { distribution: 'uniform', minMs: 500, maxMs: 3000 },
            errorRate,
            coldStartMs: 0,
          },
        },
      }).summary;

    it('fails the whole batch when an invocation runs past the function timeout', () => {
      const summary = run(2);
      expect(summary.timeouts).toBeGreaterThan(0);
      // Batches of 10 in parallel take their longest record: most exceed 2 s, and are retried.
      expect(summary.messages.deadLetteredByRedrive).toBeGreaterThan(0);
      expect(summary.messages.processed + summary.messages.deadLetteredByRedrive).toBe(
        summary.messages.sent,
      );
      expect(run(15).timeouts).toBe(0);
    });

    it('retries only the failed records of a partial batch failure', () => {
      const summary = run(15, 0.1);
      expect(summary.recordFailures).toBeGreaterThan(10);
      expect(summary.recordFailures).toBeLessThan(40);
      expect(summary.messages.processed).toBe(summary.messages.sent);
    });
  });
});
