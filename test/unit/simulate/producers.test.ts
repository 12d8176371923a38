import { describe, expect, it } from 'vitest';
import { expectedMessages, parseArrivalLog } from '#shared/simulate/arrivals.ts';
import { durationOf } from '#shared/simulate/durations.ts';
import { runSimulation } from '#shared/simulate/engine.ts';
import { KeyDistribution } from '#shared/simulate/keys.ts';
import { Random } from '#shared/simulate/random.ts';
import { parseWorkload } from '#shared/simulate/workload.ts';
import { rowsOf, simulate, testApp } from './support.ts';

const total = (
  rate: Parameters<typeof expectedMessages>[0],
  seconds: number,
  ticks = 10 * seconds,
) => {
  let sum = 0;
  const step = seconds / ticks;
  for (let i = 0; i < ticks; i++) sum += expectedMessages(rate, i * step, (i + 1) * step);
  return sum;
};

describe('producers', () => {
  it('send what their rate shape says', () => {
    expect(total({ shape: 'constant', perSecond: 50 }, 10)).toBeCloseTo(500, 6);
    expect(
      total({ shape: 'ramp', fromPerSecond: 0, toPerSecond: 100, overSeconds: 10 }, 10),
    ).toBeCloseTo(500, 6);
    expect(
      total(
        { shape: 'spike', basePerSecond: 10, messages: 50_000, atSeconds: 3, forSeconds: 2 },
        10,
      ),
    ).toBeCloseTo(50_100, 6);
    const day = total(
      {
        shape: 'diurnal',
        meanPerSecond: 100,
        amplitude: 0.5,
        periodSeconds: 100,
        peakAtSeconds: 25,
      },
      100,
    );
    expect(day).toBeCloseTo(10_000, 0);
  });

  it('draw Poisson counts, or an exact total with `even`', () => {
    const run = (process: 'poisson' | 'even') =>
      simulate(testApp(), {
        durationSeconds: 30,
        producers: [{ name: 'p', rate: { shape: 'constant', perSecond: 333.3 }, process }],
        workers: { W: { recordMs: 1 } },
      }).summary.messages.sent;
    expect(run('even')).toBe(9999);
    const poisson = run('poisson');
    expect(poisson).not.toBe(9999);
    expect(Math.abs(poisson - 9999)).toBeLessThan(400);
  });

  it('replay a recorded arrival log (CSV or JSON lines), faster with speed', () => {
    const csv = parseArrivalLog('timeMs,key\n1000,a\n1000,b\n1500,a\n4000,c\n', 'log.csv', (p) => {
      throw new Error(p);
    });
    expect(Array.from(csv.timesMs)).toEqual([0, 0, 500, 3000]);
    expect(csv.keys).toEqual(['a', 'b', 'a', 'c']);
    const jsonl = parseArrivalLog(
      '{"time":"2026-01-01T00:00:01Z","key":"x"}\n{"time":"2026-01-01T00:00:00Z"}\n',
      'log.jsonl',
      (p) => {
        throw new Error(p);
      },
    );
    expect(Array.from(jsonl.timesMs)).toEqual([0, 1000]);
    expect(() =>
      parseArrivalLog('when,key\n1,a\n', 'bad.csv', (p) => {
        throw new Error(p);
      }),
    ).toThrow(/timeMs or time column/);

    const times = Float64Array.from({ length: 200 }, (_, i) => i * 100);
    const workload = parseWorkload(
      {
        durationSeconds: 1,
        producers: [{ name: 'log', rate: { shape: 'replay', file: 'x.csv', speed: 2 } }],
        workers: { W: { recordMs: 1 } },
      },
      'inline',
    );
    const run = runSimulation(testApp(), workload, {
      logs: new Map([[0, { timesMs: times, keys: Array.from(times, () => undefined) }]]),
    });
    const w = run.parts.workers[0];
    expect(w?.stats.sent).toBe(200);
    // 19.9 s of log at twice the speed: the last send is at about 9.95 s.
    expect(w?.stats.lastSentMs).toBeGreaterThan(9900);
    expect(w?.stats.lastSentMs).toBeLessThan(10_000);
  });
});

describe('key distributions', () => {
  const frequencies = (keys: KeyDistribution, draws: number) => {
    const random = new Random(3);
    const counts = new Array(keys.count).fill(0);
    for (let i = 0; i < draws; i++) counts[keys.sample(random)]++;
    return counts.map((c) => c / draws);
  };

  it('uniform, Zipf and one hot key have the shares they promise', () => {
    const uniform = frequencies(
      new KeyDistribution({ distribution: 'uniform', count: 4 }),
      100_000,
    );
    for (const f of uniform) expect(f).toBeCloseTo(0.25, 1);
    const zipf = new KeyDistribution({ distribution: 'zipf', count: 100, exponent: 1 });
    const zf = frequencies(zipf, 200_000);
    expect(zf[0]).toBeCloseTo(zipf.weight(0), 2);
    expect(zf[1]).toBeCloseTo(zipf.weight(0) / 2, 2);
    const hot = frequencies(
      new KeyDistribution({ distribution: 'hot', count: 10, hotShare: 0.3 }),
      100_000,
    );
    expect(hot[0]).toBeCloseTo(0.3, 2);
    expect(hot[5]).toBeCloseTo(0.7 / 9, 2);
  });

  it('lognormal durations have the p50 and p99 they were given; max of n is drawn in one step', () => {
    const d = durationOf({ distribution: 'lognormal', p50Ms: 10, p99Ms: 80 });
    const random = new Random(9);
    const draws = Array.from({ length: 50_000 }, () => d.sample(random)).sort((a, b) => a - b);
    expect(draws[25_000]).toBeCloseTo(10, 0);
    expect((draws[49_500] as number) / 80).toBeCloseTo(1, 1);
    const maxOf10 = Array.from({ length: 20_000 }, () => d.sampleMax(random, 10)).sort(
      (a, b) => a - b,
    );
    // P(max of 10 <= p50) = 0.5^10: almost never.
    expect(maxOf10.findIndex((v) => v > 10) / maxOf10.length).toBeLessThan(0.01);
    const sum =
      Array.from({ length: 5000 }, () => d.sampleSum(random, 100)).reduce((a, b) => a + b, 0) /
      5000;
    expect(sum / (100 * d.meanMs)).toBeCloseTo(1, 1);
  });

  it("FIFO via EventBridge groups messages by the key's lane, as the ingress does", () => {
    const { run } = simulate(testApp({ fifo: true, maxConcurrency: 100 }), {
      durationSeconds: 20,
      producers: [
        {
          name: 'p',
          via: 'eventbridge',
          rate: { shape: 'constant', perSecond: 500 },
          keys: { distribution: 'uniform', count: 1000 },
        },
      ],
      workers: { W: { recordMs: 20 } },
    });
    // 8 lanes: at most 8 batches at once, however many keys.
    expect(Math.max(...rowsOf(run).map((r) => r.peakConcurrency))).toBe(8);
  });
});
