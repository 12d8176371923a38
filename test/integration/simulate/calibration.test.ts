import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  lanesMappingAvailable,
  NEEDS_EMBEDDED,
} from '#test/integration/event-source-mapping/support/esm.ts';
import { type LocalRun, type Outcome, runLocally } from './local-run.ts';
import { runModel } from './model-run.ts';
import { CALIBRATION_SCENARIOS } from './scenarios.ts';

/**
 * Calibration of the simulator against the embedded LocalStack with the lanes event source
 * mapping: each scenario runs on LocalStack, then in the simulator with the local arrivals and
 * timings; throughput, peak concurrency and drain time must agree within 15 %. Results go to
 * `.lanes/simulate-calibration.json`, or to LANES_CALIBRATION_RESULTS
 * (`npm run calibrate:simulate` writes test/bench/results/simulate-calibration.json).
 */
const TOLERANCE = 0.15;
const run = Date.now().toString(36);
const results: Array<{
  scenario: string;
  local: Outcome;
  model: Outcome;
  timings: LocalRun['timings'];
  relativeDifference: Record<keyof Outcome, number>;
}> = [];

const gap = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));

afterAll(() => {
  if (results.length === 0) return;
  const file = resolve(process.env.LANES_CALIBRATION_RESULTS ?? '.lanes/simulate-calibration.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), tolerance: TOLERANCE, results }, null, 2)}\n`,
  );
});

describe('simulator calibration: the embedded LocalStack and the model agree', () => {
  CALIBRATION_SCENARIOS.forEach((scenario, index) => {
    // The local run shares 2 cores with whatever else runs; a scenario that disagrees is measured
    // once more (vitest's retry), and every run's figures are in the results file.
    it(`${scenario.name}: throughput, peak concurrency and drain time within 15 %`, {
      retry: 1,
    }, async (ctx) => {
      ctx.skip(!(await lanesMappingAvailable()), NEEDS_EMBEDDED);
      const local = await runLocally(scenario, `${run}-${index}`);
      const model = runModel(scenario, local);
      const relativeDifference = {
        throughputPerSecond: gap(local.outcome.throughputPerSecond, model.throughputPerSecond),
        peakConcurrency: gap(local.outcome.peakConcurrency, model.peakConcurrency),
        drainSeconds: gap(local.outcome.drainSeconds, model.drainSeconds),
      };
      results.push({
        scenario: scenario.name,
        local: local.outcome,
        model,
        timings: local.timings,
        relativeDifference,
      });
      console.log(
        `[calibration] ${scenario.name}: local ${JSON.stringify(local.outcome)}, model ${JSON.stringify(model)}, timings ${JSON.stringify(local.timings)}`,
      );
      expect(relativeDifference.throughputPerSecond).toBeLessThan(TOLERANCE);
      expect(relativeDifference.peakConcurrency).toBeLessThan(TOLERANCE);
      expect(relativeDifference.drainSeconds).toBeLessThan(TOLERANCE);
    });
  });
});
