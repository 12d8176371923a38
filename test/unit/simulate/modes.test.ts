import { describe, expect, it } from 'vitest';
import type { WorkloadInput } from '#shared/simulate/workload.ts';
import { simulate, testApp } from './support.ts';

/** The same workload in aggregated and in per-event mode. */
const both = (
  worker: Parameters<typeof testApp>[0],
  producer: Omit<WorkloadInput['producers'][number], 'name'>,
  behaviour: NonNullable<WorkloadInput['workers']>[string],
) =>
  [false, true].map(
    (perEvent) =>
      simulate(testApp(worker), {
        durationSeconds: 120,
        seed: 5,
        producers: [{ name: 'p', ...producer }],
        workers: { W: behaviour },
        model: { perEvent },
      }).summary,
  ) as [ReturnType<typeof simulate>['summary'], ReturnType<typeof simulate>['summary']];

/** Relative difference of two results. */
const gap = (a: number, b: number) => Math.abs(a - b) / Math.max(a, b);

describe('aggregated and per-event modes agree', () => {
  it('on a standard queue below capacity (batches, dwell)', () => {
    const [aggregated, perEvent] = both(
      { maxConcurrency: 100 },
      { rate: { shape: 'constant', perSecond: 1000 } },
      { recordMs: { distribution: 'lognormal', p50Ms: 4, p99Ms: 20 }, invocationMs: 3 },
    );
    expect(gap(aggregated.invocations, perEvent.invocations)).toBeLessThan(0.1);
    expect(gap(aggregated.dwellSeconds.p50, perEvent.dwellSeconds.p50)).toBeLessThan(0.15);
    expect(gap(aggregated.dwellSeconds.p99, perEvent.dwellSeconds.p99)).toBeLessThan(0.15);
  });

  it('on a FIFO queue that falls behind (throughput, drain time, peak backlog)', () => {
    const [aggregated, perEvent] = both(
      { fifo: true, maxConcurrency: 10 },
      {
        rate: {
          shape: 'spike',
          basePerSecond: 100,
          messages: 20_000,
          atSeconds: 10,
          forSeconds: 5,
        },
        keys: { distribution: 'uniform', count: 200 },
      },
      { recordMs: { distribution: 'lognormal', p50Ms: 5, p99Ms: 20 } },
    );
    expect(
      gap(aggregated.throughputPerSecond.peak, perEvent.throughputPerSecond.peak),
    ).toBeLessThan(0.1);
    expect(gap(aggregated.completionSeconds ?? 0, perEvent.completionSeconds ?? 1)).toBeLessThan(
      0.1,
    );
    expect(gap(aggregated.peakBacklog, perEvent.peakBacklog)).toBeLessThan(0.1);
    expect(gap(aggregated.dwellSeconds.p99, perEvent.dwellSeconds.p99)).toBeLessThan(0.15);
  });
});
