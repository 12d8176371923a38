import { DeleteEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMapping,
  createQueue,
  createRecorderFunction,
  createRecordsTable,
  lambda,
  lanesMappingAvailable,
  mappingStats,
  NEEDS_EMBEDDED,
  Resources,
  sendAll,
} from './support/esm.ts';

/**
 * Standard-queue scale-up like AWS: 5 concurrent batches at start, then the configured number per
 * minute while receives come back full. AWS adds 300 per minute; the tag
 * `lanes:scale-up-per-minute` sets another rate for one mapping, here twice as fast, so the
 * measurement takes seconds. Concurrency is read from the mapping's figures: the time each new
 * level of invocations in flight was first reached.
 */
const run = `esms${Date.now().toString(36)}`;
const resources = new Resources();
const RATE_PER_MINUTE = 600;
let available = false;
let table = '';

beforeAll(async () => {
  available = await lanesMappingAvailable();
  if (!available) return;
  table = await createRecordsTable(resources, `lanes-esm-scaling-${run}`);
});

afterAll(() => resources.release());

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

describe('SQS event source mapping scale-up', () => {
  it(`starts at 5 concurrent batches and adds ${RATE_PER_MINUTE} per minute while messages wait (within 20 %)`, async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const fn = await createRecorderFunction(resources, {
      name: `lanes-esm-scale-${run}`,
      table,
      runId: run,
      // Long enough that no batch ends during the measurement: concurrency only grows.
      workMs: 8_000,
    });
    const queue = await createQueue(resources, `lanes-esm-scale-${run}`);
    await sendAll(
      queue,
      Array.from({ length: 80 }, (_, i) => ({ body: JSON.stringify({ n: i }) })),
    );
    const uuid = await createMapping(resources, {
      FunctionName: fn,
      EventSourceArn: queue.arn,
      BatchSize: 1,
      Tags: { 'lanes:scale-up-per-minute': String(RATE_PER_MINUTE) },
    });

    // Polled only to know when to stop: the ramp itself is the mapping's own timeline, so a
    // stalled poll here (a busy machine) cannot thin out the measurement.
    const started = Date.now();
    let firstTarget: number | undefined;
    for (;;) {
      const stats = await mappingStats(uuid);
      firstTarget ??= stats.targetConcurrency;
      if (stats.concurrency >= 30 || Date.now() - started > 20_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Stop taking new batches; the ones in flight finish on their own.
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));

    const stats = await mappingStats(uuid);
    const growing = stats.peakTimeline.filter(([, level]) => level >= 8 && level <= 28);
    const perMinute = slope(growing) * 60;
    console.info(
      `[esm] scale-up: configured ${RATE_PER_MINUTE}/min, measured ${perMinute.toFixed(0)}/min over ${growing.length} levels (${stats.peakTimeline
        .map(([t, level]) => `${t.toFixed(2)}s:${level}`)
        .join(' ')})`,
    );
    expect(stats.scaling).toMatchObject({
      mode: 'standard',
      initial: 5,
      scaleUpPerMinute: RATE_PER_MINUTE,
    });
    expect(firstTarget).toBeLessThanOrEqual(7);
    // Each level from 8 to 28 is reached once: concurrency only grows here.
    expect(growing.length).toBe(21);
    expect(perMinute).toBeGreaterThanOrEqual(RATE_PER_MINUTE * 0.8);
    expect(perMinute).toBeLessThanOrEqual(RATE_PER_MINUTE * 1.2);
  });
});
