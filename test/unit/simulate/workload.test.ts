import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulation } from '#shared/simulate/engine.ts';
import { WorkloadError } from '#shared/simulate/errors.ts';
import { loadWorkload, parseWorkload } from '#shared/simulate/workload.ts';
import { testApp } from './support.ts';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof WorkloadError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a WorkloadError');
};

const valid = {
  durationSeconds: 60,
  producers: [{ name: 'p', rate: { shape: 'constant', perSecond: 10 } }],
  workers: { W: { recordMs: 5 } },
};

describe('workload file', () => {
  it('names the field and the value of every problem', () => {
    const problems = problemsOf(() =>
      parseWorkload(
        {
          durationSeconds: -1,
          producers: [{ name: 'p', rate: { shape: 'constant', perSecond: 'fast' } }],
          workers: {
            W: { recordMs: { distribution: 'lognormal', p50Ms: 10, p99Ms: 5 }, errorRate: 2 },
          },
        },
        'w.yaml',
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^durationSeconds: .*\(given -1\)$/),
        expect.stringMatching(/^producers\[0\]\.rate\.perSecond: .*\(given "fast"\)$/),
        expect.stringMatching(
          /^workers\.W\.recordMs\.p99Ms: p99Ms must be greater than p50Ms \(given 5\)$/,
        ),
        expect.stringMatching(/^workers\.W\.errorRate: .*\(given 2\)$/),
      ]),
    );
  });

  it('rejects unknown fields (a typo is not silently ignored)', () => {
    const problems = problemsOf(() =>
      parseWorkload({ ...valid, workers: { W: { recordMs: 5, batchsize: 10 } } }, 'w.yaml'),
    );
    expect(problems.join('\n')).toMatch(/workers\.W: .*batchsize/);
  });

  it('refuses settings the template owns unless they are a deliberate what-if', () => {
    const problems = problemsOf(() =>
      parseWorkload({ ...valid, workers: { W: { recordMs: 5, maxConcurrency: 50 } } }, 'w.yaml'),
    );
    expect(problems.join('\n')).toMatch(/maxConcurrency/);
    expect(() =>
      parseWorkload(
        { ...valid, workers: { W: { recordMs: 5, whatIf: { maxConcurrency: 50 } } } },
        'w.yaml',
      ),
    ).not.toThrow();
  });

  it('checks names against the app: unknown workers, workers with traffic and no behaviour', () => {
    const unknown = problemsOf(() =>
      runSimulation(
        testApp(),
        parseWorkload(
          { ...valid, workers: { W: { recordMs: 5 }, Nope: { recordMs: 5 } } },
          'w.yaml',
        ),
      ),
    );
    expect(unknown.join('\n')).toMatch(/workers\.Nope: no such worker in Test \(workers: W\)/);
    const missing = problemsOf(() =>
      runSimulation(testApp(), parseWorkload({ ...valid, workers: {} }, 'w.yaml')),
    );
    expect(missing.join('\n')).toMatch(/workers\.W: missing; .*recordMs/);
    const target = problemsOf(() =>
      runSimulation(
        testApp(),
        parseWorkload(
          { ...valid, producers: [{ ...valid.producers[0], workers: ['X'] }] },
          'w.yaml',
        ),
      ),
    );
    expect(target.join('\n')).toMatch(/producers\[0\]\.workers: no worker X/);
  });

  it('reads YAML and says which line is broken', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanes-workload-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'durationSeconds: 5\nproducers:\n  - name: p\n    rate: { shape: constant, perSecond: 1 }\nworkers:\n  W: { recordMs: 1 }\n',
    );
    expect(loadWorkload(good).workload.durationSeconds).toBe(5);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'durationSeconds: 5\nproducers: [\n');
    expect(() => loadWorkload(bad)).toThrow(/not valid YAML/);
    const replay = join(dir, 'replay.yaml');
    writeFileSync(
      replay,
      'durationSeconds: 5\nproducers:\n  - name: p\n    rate: { shape: replay, file: missing.csv }\n',
    );
    expect(() => loadWorkload(replay)).toThrow(/producers\[0\]\.rate\.file: cannot read/);
  });
});
