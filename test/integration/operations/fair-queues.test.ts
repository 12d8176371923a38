import {
  GetEventSourceMappingCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, EventCatalogue } from '#shared/events/catalogue.ts';
import { Publisher } from '#shared/ingress/publisher.ts';
import { directRouter } from '#shared/ingress/router.ts';
import {
  createMapping,
  createQueue,
  createRecorderFunction,
  createRecordsTable,
  invocations,
  lambda,
  lanesMappingAvailable,
  NEEDS_EMBEDDED,
  Resources,
  type TestQueue,
  waitUntil,
} from '#test/integration/event-source-mapping/support/esm.ts';

/**
 * Fair ingress on the embedded SQS (SQS fair queues, docs/aws-limits.md): one standard queue, a
 * worker capped at 5 concurrent batches of 10, a noisy tenant with a 2,000-message backlog and a
 * quiet tenant sending 20 messages while it drains. Published with the real Publisher, once
 * without fair mode (no MessageGroupId: the quiet messages wait behind the backlog) and once with
 * it (MessageGroupId = tenant: the noisy tenant holds every in-flight message, so its waiting
 * messages move back). The quiet tenant's p95 dwell time (send to the start of its invocation)
 * with fair mode must be at most a fifth of the one without.
 */
const run = `fair${Date.now().toString(36)}`;
const resources = new Resources();
const NOISY = 2_000;
const QUIET = 20;
let available = false;
let table = '';
let queue: TestQueue;

const catalogue = new EventCatalogue([
  defineEvent({
    type: 'tenant.job',
    schema: z.object({ tenant: z.string(), n: z.number().int() }),
    partitionKey: (data) => data.tenant,
  }),
]);

function publisherFor(fair: boolean) {
  return new Publisher({
    catalogue,
    router: directRouter([
      { group: 'jobs', typePrefixes: ['tenant.'], queueUrl: queue.url, fifo: false, fair },
    ]),
    source: 'lanes.fair-test',
  });
}

async function publish(publisher: Publisher, tenant: string, count: number, label: string) {
  const summary = await publisher.publish(
    Array.from({ length: count }, (_, n) => ({
      type: 'tenant.job',
      id: `${label}-${tenant}-${n}`,
      data: { tenant, n },
    })),
  );
  expect(summary.sent).toBe(count);
}

function envelopeOf(body: string): { id: string; partitionKey: string } {
  return JSON.parse(body) as { id: string; partitionKey: string };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

/** The records of one scenario (by the label its event ids start with), with their invocation. */
async function recordsOf(label: string) {
  return (await invocations(table, run)).flatMap((invocation) =>
    invocation.records
      .map((record) => ({ ...record, ...envelopeOf(record.body), invocation }))
      .filter((record) => record.id.startsWith(`${label}-`)),
  );
}

/** Publishes the backlog, then the quiet tenant's messages once the noisy tenant is busy. */
async function scenario(fair: boolean) {
  const label = fair ? 'fair' : 'plain';
  const publisher = publisherFor(fair);
  // The backlog is all there before the worker starts on it (the publisher alone is slower
  // than the worker, which would keep up and leave no backlog).
  await setMappingEnabled(false);
  await publish(publisher, 'noisy', NOISY, label);
  await setMappingEnabled(true);
  // The noisy tenant is being worked on: its messages fill the 5 x 10 in flight.
  await waitUntil(
    'the noisy backlog to be under way',
    async () => {
      const done = (await recordsOf(label)).length;
      return { done: done >= 200, value: done, state: `${done} processed` };
    },
    120_000,
    250,
  );
  for (let i = 0; i < QUIET; i++) {
    await publish(publisher, 'quiet', 1, `${label}-${i}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const records = await waitUntil(
    `${NOISY + QUIET} ${label} messages processed`,
    async () => {
      const found = (await recordsOf(label)).filter((r) => r.outcome === 'processed');
      return { done: found.length >= NOISY + QUIET, value: found, state: `${found.length}` };
    },
    240_000,
  );
  const quiet = records.filter((r) => r.partitionKey === 'quiet');
  const dwell = quiet.map((r) => r.invocation.start - r.sent);
  const lastEnd = (tenant: string) =>
    Math.max(...records.filter((r) => r.partitionKey === tenant).map((r) => r.invocation.end));
  return {
    dwell,
    p95: percentile(dwell, 0.95),
    noisyDone: lastEnd('noisy'),
    quietDone: lastEnd('quiet'),
    ids: records.map((r) => r.id),
  };
}

let mappingUuid = '';

async function setMappingEnabled(enabled: boolean) {
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mappingUuid, Enabled: enabled }));
  const wanted = enabled ? 'Enabled' : 'Disabled';
  await waitUntil(
    `mapping ${wanted}`,
    async () => {
      const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: mappingUuid }));
      return { done: State === wanted, value: State, state: String(State) };
    },
    60_000,
    200,
  );
}

beforeAll(async () => {
  available = await lanesMappingAvailable();
  if (!available) return;
  table = await createRecordsTable(resources, `lanes-fair-${run}`);
  queue = await createQueue(resources, `lanes-fair-${run}`, { VisibilityTimeout: '30' });
  const fn = await createRecorderFunction(resources, {
    name: `lanes-fair-${run}`,
    table,
    runId: run,
    workMs: 20,
  });
  mappingUuid = await createMapping(resources, {
    FunctionName: fn,
    EventSourceArn: queue.arn,
    BatchSize: 10,
    ScalingConfig: { MaximumConcurrency: 5 },
  });
});

afterAll(() => resources.release());

describe('fair ingress (SQS fair queues) on the embedded SQS', () => {
  it("keeps a quiet tenant's p95 dwell at most a fifth of what it is without fair mode, behind a noisy 2,000-message backlog", async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const plain = await scenario(false);
    const fair = await scenario(true);
    console.info(
      `[fair] quiet tenant p95 dwell: ${plain.p95} ms without fair mode, ${fair.p95} ms with it (${(plain.p95 / Math.max(1, fair.p95)).toFixed(1)}x)`,
    );
    for (const result of [plain, fair]) {
      expect(result.dwell).toHaveLength(QUIET);
      // Nothing lost, nothing processed twice.
      expect(result.ids).toHaveLength(NOISY + QUIET);
      expect(new Set(result.ids).size).toBe(NOISY + QUIET);
    }
    // Without fair mode the quiet messages wait behind the backlog; with it they overtake it.
    expect(plain.quietDone).toBeGreaterThan(plain.noisyDone - 2_000);
    expect(fair.quietDone).toBeLessThan(fair.noisyDone);
    expect(fair.p95).toBeLessThanOrEqual(plain.p95 / 5);
  });
});
