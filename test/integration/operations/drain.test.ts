import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployedWorker } from '#cli/discovery.ts';
import { drainWorker, resumeWorker } from '#cli/drain.ts';
import {
  createMapping,
  createQueue,
  createRecorderFunction,
  createRecordsTable,
  endpoint,
  invocations,
  lanesMappingAvailable,
  mappingStats,
  NEEDS_EMBEDDED,
  Resources,
  sendAll,
  waitForProcessed,
  waitUntil,
} from '#test/integration/event-source-mapping/support/esm.ts';

/**
 * `lanes drain` and `lanes resume` (the functions the commands run) on a worker with batches in
 * flight: the drain returns only when nothing is in flight (no invocation running, none starting
 * afterwards, no message received and not deleted), and across the drain and the resume every
 * message is processed exactly once.
 */
const run = `drain${Date.now().toString(36)}`;
const resources = new Resources();
const lambda = new LambdaClient({});
const MESSAGES = 300;
let available = false;

beforeAll(async () => {
  available = await lanesMappingAvailable();
});

afterAll(() => resources.release());

/** The worker as `lanes drain` finds it in a stack (here without one: the queue doubles as DLQ). */
function deployedWorker(name: string, functionName: string, queueUrl: string): DeployedWorker {
  return {
    kind: 'worker',
    name,
    stackName: 'test',
    functionName,
    queueUrl,
    deadLetterQueueUrl: queueUrl,
  };
}

describe('drain and resume', () => {
  it('drains with batches in flight, returns at zero in flight, and resumes without losing or repeating a message', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const table = await createRecordsTable(resources, `lanes-drain-${run}`);
    const fn = await createRecorderFunction(resources, {
      name: `lanes-drain-${run}`,
      table,
      runId: run,
      workMs: 100,
    });
    const queue = await createQueue(resources, `lanes-drain-${run}`, { VisibilityTimeout: '30' });
    await sendAll(
      queue,
      Array.from({ length: MESSAGES }, (_, n) => ({ body: JSON.stringify({ n }) })),
    );
    const uuid = await createMapping(resources, {
      FunctionName: fn,
      EventSourceArn: queue.arn,
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    const worker = deployedWorker('drained', fn, queue.url);
    // Under way: batches of 10 x 100 ms are in flight when the drain starts.
    await waitUntil(
      'batches in flight',
      async () => {
        const stats = await mappingStats(uuid);
        const done = (await invocations(table, run)).length;
        return {
          done: stats.concurrency >= 2 && done >= 3,
          value: stats,
          state: `${stats.concurrency} in flight, ${done} done`,
        };
      },
      60_000,
      100,
    );
    const inFlightAtStart = (await mappingStats(uuid)).concurrency;
    const drainStartedMs = Date.now();
    const report = await drainWorker(worker, { endpoint: endpoint(), pollMs: 200 });
    const drainedMs = Date.now();

    const atDrain = await invocations(table, run);
    const processedAtDrain = atDrain.flatMap((i) => i.records).length;
    console.info(
      `[drain] ${inFlightAtStart} invocations in flight at the drain, drained in ${report.elapsedMs} ms: ${processedAtDrain} processed, ${report.queues[0]?.depths.visible} waiting`,
    );
    expect(inFlightAtStart).toBeGreaterThanOrEqual(2);
    expect(report.disabled).toEqual([uuid]);
    // Nothing in flight when it returned: every invocation had ended, the rest waits in the queue.
    expect(Math.max(...atDrain.map((i) => i.end))).toBeLessThanOrEqual(drainedMs);
    expect(atDrain.some((i) => i.end > drainStartedMs)).toBe(true); // it did wait for running batches
    expect((await mappingStats(uuid)).concurrency).toBe(0);
    expect(report.queues).toEqual([
      {
        queueUrl: queue.url,
        depths: { visible: MESSAGES - processedAtDrain, inFlight: 0, delayed: 0 },
      },
    ]);
    expect(MESSAGES - processedAtDrain).toBeGreaterThan(0);
    // No invocation starts while the worker is drained.
    await new Promise((r) => setTimeout(r, 3_000));
    const whileDrained = await invocations(table, run);
    expect(whileDrained.filter((i) => i.start > drainedMs)).toEqual([]);

    const resumed = await resumeWorker(worker);
    expect(resumed.enabled).toEqual([uuid]);
    const all = await waitForProcessed(table, run, MESSAGES, 120_000);
    await new Promise((r) => setTimeout(r, 1_000)); // a second copy would show up by now
    const ids = (await invocations(table, run)).flatMap((i) =>
      i.records.filter((r) => r.outcome === 'processed').map((r) => JSON.parse(r.body).n as number),
    );
    expect(all.length).toBeGreaterThan(0);
    expect(ids).toHaveLength(MESSAGES);
    expect(new Set(ids).size).toBe(MESSAGES);
  });

  it('disables a mapping right after a scale, and a scaled mapping reads Enabled once settled', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const fn = await createRecorderFunction(resources, {
      name: `lanes-drain-upd-${run}`,
      table: await createRecordsTable(resources, `lanes-drain-upd-${run}`),
      runId: `${run}-upd`,
      workMs: 0,
    });
    const queue = await createQueue(resources, `lanes-drain-upd-${run}`, {});
    const uuid = await createMapping(resources, {
      FunctionName: fn,
      EventSourceArn: queue.arn,
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const worker = deployedWorker('rescaled', fn, queue.url);
    // What lanes scale does, and the drain straight after it (as an operator script would).
    await lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, ScalingConfig: { MaximumConcurrency: 3 } }),
    );
    const report = await drainWorker(worker, {
      endpoint: endpoint(),
      pollMs: 200,
      timeoutMs: 60_000,
    });
    expect(report.disabled).toEqual([uuid]);
    const state = async () =>
      (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
    expect(await state()).toBe('Disabled');

    // Scaled while polling, the mapping reads Enabled once the update settles, and stays so after
    // the replaced poller winds down (LocalStack let the old one write Disabled last).
    await resumeWorker(worker);
    await lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, ScalingConfig: { MaximumConcurrency: 4 } }),
    );
    await waitUntil(
      'the update settles',
      async () => {
        const now = await state();
        return { done: now === 'Enabled', value: now, state: String(now) };
      },
      30_000,
      200,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await state()).toBe('Enabled');
  });
});
