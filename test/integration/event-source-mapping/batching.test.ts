import { CreateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
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
  sqs,
  waitForProcessed,
  waitUntil,
} from './support/esm.ts';

/**
 * Batching with the lanes mapping: large standard-queue batches filled over the batching window,
 * FIFO batch limits refused as on AWS, filter criteria and partial batch failures kept.
 */
const run = `esmb${Date.now().toString(36)}`;
const resources = new Resources();
let available = false;
let table = '';

beforeAll(async () => {
  available = await lanesMappingAvailable();
  if (!available) return;
  table = await createRecordsTable(resources, `lanes-esm-batching-${run}`);
});

afterAll(() => resources.release());

describe('SQS event source mapping batching', () => {
  it('fills standard-queue batches beyond 10 messages over the batching window', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const runId = `${run}-large`;
    const fn = await createRecorderFunction(resources, {
      name: `lanes-esm-large-${run}`,
      table,
      runId,
      workMs: 0,
    });
    const queue = await createQueue(resources, `lanes-esm-large-${run}`);
    await sendAll(
      queue,
      Array.from({ length: 600 }, (_, i) => ({ body: JSON.stringify({ n: i }) })),
    );
    await createMapping(resources, {
      FunctionName: fn,
      EventSourceArn: queue.arn,
      BatchSize: 250,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const all = await waitForProcessed(table, runId, 600, 120_000);
    const sizes = all.map((i) => i.records.length);
    console.info(`[esm] batch sizes: ${sizes.join(', ')}`);
    expect(Math.max(...sizes)).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(250);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(600);
  });

  it('refuses a FIFO batch size above 10 and a FIFO batching window, as AWS does', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const fn = await createRecorderFunction(resources, {
      name: `lanes-esm-limits-${run}`,
      table,
      runId: `${run}-limits`,
      workMs: 0,
    });
    const queue = await createQueue(resources, `lanes-esm-limits-${run}.fifo`);
    await expect(
      lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: fn,
          EventSourceArn: queue.arn,
          BatchSize: 11,
        }),
      ),
    ).rejects.toThrow(/between 1 and 10 for a FIFO queue \(given 11\)/);
    await expect(
      lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: fn,
          EventSourceArn: queue.arn,
          BatchSize: 10,
          MaximumBatchingWindowInSeconds: 1,
        }),
      ),
    ).rejects.toThrow(/not supported for FIFO/);
    await expect(
      lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: fn,
          EventSourceArn: queue.arn,
          ScalingConfig: { MaximumConcurrency: 5 },
          ProvisionedPollerConfig: { MinimumPollers: 2 },
        }),
      ),
    ).rejects.toThrow(/cannot be combined with ProvisionedPollerConfig/);
  });

  it('keeps filter criteria (filtered-out messages are deleted unprocessed) and partial batch failures (only the failed record comes back)', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const runId = `${run}-filter`;
    const fn = await createRecorderFunction(resources, {
      name: `lanes-esm-filter-${run}`,
      table,
      runId,
      workMs: 0,
    });
    const queue = await createQueue(resources, `lanes-esm-filter-${run}`, {
      VisibilityTimeout: '3',
    });
    await sendAll(queue, [
      ...Array.from({ length: 20 }, (_, i) => ({ body: JSON.stringify({ kind: 'keep', n: i }) })),
      ...Array.from({ length: 20 }, (_, i) => ({ body: JSON.stringify({ kind: 'drop', n: i }) })),
      { body: JSON.stringify({ kind: 'keep', n: 99, failUntilReceive: 1 }) },
    ]);
    const uuid = await createMapping(resources, {
      FunctionName: fn,
      EventSourceArn: queue.arn,
      BatchSize: 10,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { kind: ['keep'] } }) }] },
    });
    const all = await waitForProcessed(table, runId, 21, 120_000);
    const records = all.flatMap((i) => i.records);
    const kinds = new Set(records.map((r) => (JSON.parse(r.body) as { kind: string }).kind));
    expect(kinds).toEqual(new Set(['keep']));
    const failing = records.filter((r) => (JSON.parse(r.body) as { n: number }).n === 99);
    expect(failing.map((r) => [r.receiveCount, r.outcome])).toEqual([
      [1, 'failed'],
      [2, 'processed'],
    ]);
    expect(records.filter((r) => r.receiveCount > 1)).toHaveLength(1);
    // The dropped messages were deleted too: the queue drains completely.
    await waitUntil(
      'the queue to drain',
      async () => {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queue.url,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
            ],
          }),
        );
        const left =
          Number(Attributes.ApproximateNumberOfMessages) +
          Number(Attributes.ApproximateNumberOfMessagesNotVisible);
        return { done: left === 0, value: left, state: `${left} messages left` };
      },
      30_000,
    );
    expect((await mappingStats(uuid)).functionErrors).toBe(0);
  });
});
