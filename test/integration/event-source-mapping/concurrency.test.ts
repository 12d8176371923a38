import { UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMapping,
  createQueue,
  createRecorderFunction,
  createRecordsTable,
  invocations,
  lambda,
  lanesMappingAvailable,
  mappingStats,
  NEEDS_EMBEDDED,
  peakOverlap,
  Resources,
  sendAll,
  waitForProcessed,
} from './support/esm.ts';

/**
 * The lanes SQS event source mapping keeps several batches of one mapping in flight, capped by
 * ScalingConfig.MaximumConcurrency; on FIFO queues one batch per message group. Concurrency is
 * measured twice: from the function's own start/end times, and from the mapping's figures.
 */
const run = `esmc${Date.now().toString(36)}`;
const resources = new Resources();
let table = '';
let available = false;

beforeAll(async () => {
  available = await lanesMappingAvailable();
  if (!available) return;
  table = await createRecordsTable(resources, `lanes-esm-concurrency-${run}`);
});

afterAll(() => resources.release());

describe('SQS event source mapping concurrency', () => {
  it('standard queue, maximum concurrency 3, 200 messages of 200 ms: exactly 3 invocations at once, never 4', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const runId = `${run}-standard`;
    const fn = await createRecorderFunction(resources, {
      name: `lanes-esm-std-${run}`,
      table,
      runId,
      workMs: 200,
    });
    const queue = await createQueue(resources, `lanes-esm-std-${run}`);
    await sendAll(
      queue,
      Array.from({ length: 200 }, (_, i) => ({ body: JSON.stringify({ n: i }) })),
    );
    const uuid = await createMapping(resources, {
      FunctionName: fn,
      EventSourceArn: queue.arn,
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 3 },
    });

    const all = await waitForProcessed(table, runId, 200, 180_000);
    const stats = await mappingStats(uuid);
    const peak = peakOverlap(all);
    console.info(
      `[esm] standard: ${all.length} invocations, function-side peak ${peak}, mapping peak ${stats.peakConcurrency}, cap 3`,
    );
    expect(new Set(all.flatMap((i) => i.records.map((r) => r.id))).size).toBe(200);
    expect(peak).toBe(3);
    expect(stats.peakConcurrency).toBe(3);
    expect(stats.scaling).toMatchObject({ mode: 'standard', ceiling: 3 });
    expect(stats.throttles).toBe(0);
  });

  it('FIFO queue, 20 active groups, maximum concurrency 10: reaches 10, one invocation per group at a time, each group in order through partial failures', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const runId = `${run}-fifo`;
    const GROUPS = 20;
    const PER_GROUP = 12;
    const fn = await createRecorderFunction(resources, {
      name: `lanes-esm-fifo-${run}`,
      table,
      runId,
      workMs: 150,
    });
    // A short visibility timeout brings failed records back within seconds.
    const queue = await createQueue(resources, `lanes-esm-fifo-${run}.fifo`, {
      VisibilityTimeout: '5',
    });
    // Interleaved over groups, as a producer would send them; the 5th message of every 4th
    // group fails on its first delivery (its group's later records in that batch are skipped).
    const messages = Array.from({ length: PER_GROUP }, (_, seq) =>
      Array.from({ length: GROUPS }, (_, g) => ({
        group: `g${g}`,
        body: JSON.stringify({
          group: `g${g}`,
          seq,
          ...(seq === 4 && g % 4 === 0 ? { failUntilReceive: 1 } : {}),
        }),
      })),
    ).flat();
    await sendAll(queue, messages);
    const uuid = await createMapping(resources, {
      FunctionName: fn,
      EventSourceArn: queue.arn,
      BatchSize: 3,
      ScalingConfig: { MaximumConcurrency: 10 },
    });

    const all = await waitForProcessed(table, runId, GROUPS * PER_GROUP, 240_000);
    const stats = await mappingStats(uuid);
    const peak = peakOverlap(all);
    console.info(
      `[esm] fifo: ${all.length} invocations, function-side peak ${peak}, mapping peak ${stats.peakConcurrency}, cap 10`,
    );
    expect(peak).toBe(10);
    expect(stats.peakConcurrency).toBe(10);

    // No group in two invocations at once.
    const byGroup = new Map<string, Array<{ start: number; end: number }>>();
    for (const invocation of all) {
      for (const group of new Set(invocation.records.map((r) => r.group ?? ''))) {
        byGroup.set(group, [...(byGroup.get(group) ?? []), invocation]);
      }
    }
    expect(byGroup.size).toBe(GROUPS);
    for (const [group, intervals] of byGroup) {
      expect(peakOverlap(intervals), `overlap of ${group}`).toBe(1);
    }

    // Every group's messages were processed once each, in the order they were sent.
    const processedOrder = new Map<string, number[]>();
    for (const invocation of all) {
      for (const record of invocation.records) {
        if (record.outcome !== 'processed') continue;
        const { group, seq } = JSON.parse(record.body) as { group: string; seq: number };
        processedOrder.set(group, [...(processedOrder.get(group) ?? []), seq]);
      }
    }
    for (const [group, order] of processedOrder) {
      expect(order, `order of ${group}`).toEqual(Array.from({ length: PER_GROUP }, (_, i) => i));
    }
    const retried = all.flatMap((i) => i.records).filter((r) => r.receiveCount > 1);
    expect(retried.length).toBeGreaterThanOrEqual(GROUPS / 4);
    expect(stats.throttles).toBe(0);
  });

  it('lowers the cap at run time (UpdateEventSourceMapping, as lanes scale does) without overlap between the old and new pollers', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const runId = `${run}-update`;
    const fn = await createRecorderFunction(resources, {
      name: `lanes-esm-upd-${run}`,
      table,
      runId,
      workMs: 250,
    });
    const queue = await createQueue(resources, `lanes-esm-upd-${run}`);
    await sendAll(
      queue,
      Array.from({ length: 80 }, (_, i) => ({ body: JSON.stringify({ n: i }) })),
    );
    const uuid = await createMapping(resources, {
      FunctionName: fn,
      EventSourceArn: queue.arn,
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    await waitForProcessed(table, runId, 16, 60_000);
    await lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, ScalingConfig: { MaximumConcurrency: 2 } }),
    );
    const updatedAt = Date.now();
    const all = await waitForProcessed(table, runId, 80, 180_000);
    const before = all.filter((i) => i.start < updatedAt);
    // LocalStack starts the new pollers right after the call returns; allow it a second.
    const after = all.filter((i) => i.start > updatedAt + 1_000);
    const overlapOfLater = Math.max(
      ...after.map((late) =>
        peakOverlap(all.filter((i) => i.start <= late.start && i.end > late.start)),
      ),
    );
    console.info(
      `[esm] update: peak ${peakOverlap(before)} before (cap 4), ${overlapOfLater} at any start after (cap 2); ${(await invocations(table, runId)).length} invocations`,
    );
    expect(peakOverlap(before)).toBe(4);
    expect(after.length).toBeGreaterThan(20);
    expect(overlapOfLater).toBeLessThanOrEqual(2);
    expect(peakOverlap(after)).toBe(2);
    const stats = await mappingStats(uuid);
    expect(stats.maximumConcurrency).toBe(2);
    expect(stats.throttles).toBe(0);
  });
});
