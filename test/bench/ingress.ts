/**
 * `npm run bench:ingress`: end-to-end throughput and latency of the reference pipeline on
 * LocalStack in both partitioning modes, against the raw SQS ceiling measured in the same run.
 *
 * - Our path, per mode: publish N order events over K customers (shuffled, per-key order), wait
 *   until every event has its hot-path effect in DynamoDB. Throughput = N / (last effect - first
 *   publish); latency per event = processedAt - event time (publisher stamp).
 * - Baseline: the same N messages over the same K message groups sent (batches of 10), received
 *   (10 at a time) and deleted directly on a temporary FIFO queue of the same LocalStack, no Lambda;
 *   three rounds, the median one is the baseline (a single round is short and varied by ±20 %).
 *
 * - Warm-up, both sides: before each measured run, --warmup events (default 500) go through the
 *   same path unmeasured, and the pipeline's cold path drains, so the figures are of a running
 *   system, not of JIT compilers and execution environments starting (the first 500 events of a
 *   fresh LocalStack ran at a third of the later rate).
 *
 * Options: --events 5000 --keys 50 --modes direct,eventbridge --warmup 500. Writes
 * test/bench/results/ingress.json.
 * Starts the embedded LocalStack and deploys Lanes-Pipeline when needed (like `lanes demo`).
 */

import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type EsmMappingStats,
  functionTiming,
  type LocalStackTimings,
  readMappingStats,
  readTimings,
  resetMappingStats,
} from '#localstack/esm-stats.ts';
import { orderInputs } from '#orders/demo.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import { ResultsReader } from '#orders/domain/results-reader.ts';
import { Publisher } from '#shared/ingress/publisher.ts';
import { type PublishMode, routerFromOutputs } from '#shared/ingress/router.ts';
import { benchTarget } from '#test/bench/support/target.ts';

const RESULTS_FILE = resolve(import.meta.dirname, 'results', 'ingress.json');
const log = (line: string) => console.error(line);

interface Figures {
  readonly events: number;
  readonly completed: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly breakdown?: Breakdown;
}

/**
 * Where an event's time goes on the hot path (means, milliseconds), from the lanes mapping's
 * phases and the embedded LocalStack's server-side timings of the same run.
 */
interface Breakdown {
  /** SendMessageBatch round trip seen by the publisher (per call of up to 10 events); null when the publisher sent over EventBridge. */
  readonly publishPerCall: number | null;
  /** From SQS SentTimestamp until a poller received the event: waiting for a free poller. */
  readonly queued: number;
  /** ReceiveMessage round trip of a non-empty receive (per batch). */
  readonly poll: number;
  /** Lambda Invoke round trip less the function's execution: the Lambda service's share. */
  readonly invokeOverhead: number;
  /** The function's execution per batch (handler, SDK calls, DynamoDB included). */
  readonly function: number;
  /** Time of the function's consistent reads of its keys' state per batch (GetItem, inside `function`), measured by the function on its direct calls to DynamoDB Local. */
  readonly dynamodbRead: number;
  /** Time of the function's commits per batch (TransactWriteItems: effect + idempotency record, inside `function`), measured the same way. */
  readonly dynamodbCommit: number;
  /** TransactWriteItems requests per batch: 1 when a batch of one key commits as one run. */
  readonly commitRequestsPerBatch: number | null;
  /** DeleteMessageBatch round trip (per batch). */
  readonly delete: number;
  readonly eventsPerBatch: number;
  readonly invocations: number;
  readonly peakConcurrency: number;
  readonly throttles: number;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

function breakdownOf(
  stats: EsmMappingStats,
  timings: LocalStackTimings,
  functionArn: string,
  publishPerCall: number | null,
): Breakdown {
  const dynamodb = timings.operations.dynamodb ?? {};
  const fn = functionTiming(timings, 'functions', functionArn);
  const eventsPerBatch = stats.invocations > 0 ? stats.messages / stats.invocations : 0;
  const batches = Math.max(1, fn?.count ?? 0);
  // Functions that call DynamoDB Local directly report their own calls (the default); through
  // the gateway only the totals per operation are known: the orders worker alone reads (GetItem
  // of its key's state) and both workers commit one TransactWriteItems per event, so its share of
  // the commits is the mean times its events.
  const directRead = functionTiming(timings, 'dynamodb.GetItem', functionArn);
  const directCommit = functionTiming(timings, 'dynamodb.TransactWriteItems', functionArn);
  const readsPerBatch = ((directRead ?? dynamodb.GetItem)?.totalMs ?? 0) / batches;
  const commitsPerBatch = directCommit
    ? directCommit.totalMs / batches
    : ((dynamodb.TransactWriteItems?.meanMs ?? 0) * stats.messages) / batches;
  return {
    publishPerCall: publishPerCall === null ? null : round1(publishPerCall),
    queued: round1(stats.phases.queued?.meanMs ?? 0),
    poll: round1(stats.phases.receive?.meanMs ?? 0),
    invokeOverhead: round1((stats.phases.invoke?.meanMs ?? 0) - (fn?.meanMs ?? 0)),
    function: round1(fn?.meanMs ?? 0),
    dynamodbRead: round1(readsPerBatch),
    dynamodbCommit: round1(commitsPerBatch),
    commitRequestsPerBatch: directCommit ? round1(directCommit.count / batches) : null,
    delete: round1(stats.phases.delete?.meanMs ?? 0),
    eventsPerBatch: round1(eventsPerBatch),
    invocations: stats.invocations,
    peakConcurrency: stats.peakConcurrency,
    throttles: stats.throttles,
  };
}

/** The UUID of the (single) event source mapping of a function. */
async function mappingOf(functionName: string): Promise<{ uuid: string; functionArn: string }> {
  const { EventSourceMappings = [] } = await new LambdaClient({}).send(
    new ListEventSourceMappingsCommand({ FunctionName: functionName }),
  );
  const mapping = EventSourceMappings[0];
  if (!mapping?.UUID) throw new Error(`${functionName} has no event source mapping`);
  return { uuid: mapping.UUID, functionArn: mapping.FunctionArn ?? '' };
}

/** An SQS client that records the round trip of every SendMessageBatch it makes. */
function timedSqsClient(durations: number[]): SQSClient {
  const client = new SQSClient({ useQueueUrlAsEndpoint: false });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        if (context.commandName === 'SendMessageBatchCommand')
          durations.push(performance.now() - started);
      }
    },
    { step: 'initialize', name: 'lanesPublishTimer' },
  );
  return client;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function figures(events: number, startMs: number, endMs: number, latencies: number[]): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const seconds = (endMs - startMs) / 1000;
  return {
    events,
    completed: latencies.length,
    seconds: Math.round(seconds * 100) / 100,
    eventsPerSecond: Math.round((latencies.length / seconds) * 10) / 10,
    latencyMs: {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
    },
  };
}

async function benchPipeline(
  mode: PublishMode,
  outputs: Record<string, string>,
  events: number,
  keys: number,
  timeoutMs: number,
): Promise<Figures> {
  const run = `bench-${mode}-${Date.now().toString(36)}`;
  const { inputs, customers, expectedPerKey } = orderInputs({ runId: run, events, keys });
  const reader = new ResultsReader({ tableName: outputs.ResultsTableName as string });
  const sendDurations: number[] = [];
  const publisher = new Publisher({
    catalogue: ordersCatalogue,
    router: routerFromOutputs(outputs, mode, { sqs: timedSqsClient(sendDurations) }),
    source: 'lanes.bench',
  });
  const endpoint = process.env.AWS_ENDPOINT_URL ?? '';
  const orders = await mappingOf(outputs.OrdersFunctionName as string);
  // Figures of this run only (undefined when the target has no lanes mapping).
  const measured = await readTimings(endpoint, { reset: true }).catch(() => undefined);
  if (measured) await resetMappingStats(endpoint, orders.uuid);
  log(`[bench] ${mode}: publishing ${events} events over ${keys} keys`);
  const start = Date.now();
  const summary = await publisher.publish(inputs);
  log(`[bench] ${mode}: ${summary.sent} sent in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  // Re-reads only unfinished keys, and not the cold path: the waiting must not load the table.
  const progress = reader.progress(expectedPerKey, { notified: false });
  let lastLog = 0;
  for (;;) {
    const { processed } = await progress.count();
    if (processed >= summary.sent) break;
    if (Date.now() - start > timeoutMs) {
      log(`[bench] ${mode}: deadline passed with ${processed}/${summary.sent} processed`);
      break;
    }
    if (Date.now() - lastLog > 10_000) {
      log(
        `[bench] ${mode}: processed ${processed}/${summary.sent} (${((Date.now() - start) / 1000).toFixed(0)} s)`,
      );
      lastLog = Date.now();
    }
    // Throughput is taken from the effects' own timestamps: polling less often only lightens the
    // load the harness adds to the system it measures.
    await new Promise((r) => setTimeout(r, 5_000));
  }
  const breakdown = measured
    ? breakdownOf(
        await readMappingStats(endpoint, orders.uuid),
        (await readTimings(endpoint)) as LocalStackTimings,
        orders.functionArn,
        sendDurations.length > 0
          ? sendDurations.reduce((a, b) => a + b, 0) / sendDurations.length
          : null,
      )
    : undefined;
  const items = (await Promise.all(customers.map((c) => reader.orderResults(c)))).flat();
  const end = Math.max(...items.map((i) => Date.parse(i.processedAt)));
  return {
    ...figures(
      events,
      start,
      end,
      items.map((i) => i.latencyMs),
    ),
    ...(breakdown ? { breakdown } : {}),
  };
}

/** Waits until a queue holds no message, visible or in flight (the cold path of a warm-up). */
async function drained(queueUrl: string, timeoutMs = 180_000): Promise<void> {
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  const started = Date.now();
  for (;;) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const left =
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    if (left === 0) return;
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `${queueUrl} still holds ${left} messages after ${timeoutMs / 1000} s of warm-up: is its worker failing? See lanes watch.`,
      );
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Raw ceiling: send, receive and delete the same number of messages on a plain FIFO queue. */
/**
 * Rounds of the raw SQS baseline. One round of 5,000 messages takes about 4 s, and single rounds
 * of the same code ran at 1,093 to 1,725 events/s: the median of three is the ratio's baseline.
 */
const RAW_ROUNDS = 3;

/** The round with the median throughput (rounds are odd in number). */
function medianRound(rounds: readonly Figures[]): Figures {
  const sorted = [...rounds].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
  return sorted[Math.floor(sorted.length / 2)] as Figures;
}

async function benchRawSqs(events: number, keys: number, concurrency: number): Promise<Figures> {
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `lanes-bench-raw-${Date.now().toString(36)}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        VisibilityTimeout: '60',
      },
    }),
  );
  const queueUrl = QueueUrl as string;
  try {
    const latencies: number[] = [];
    const start = Date.now();
    let nextToSend = 0;
    const sender = async () => {
      while (nextToSend < events) {
        const first = nextToSend;
        nextToSend = Math.min(events, nextToSend + 10);
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Array.from({ length: nextToSend - first }, (_, j) => ({
              Id: String(j),
              MessageBody: JSON.stringify({ n: first + j, sentAt: Date.now() }),
              MessageGroupId: `k${(first + j) % keys}`,
              MessageDeduplicationId: `m${first + j}`,
            })),
          }),
        );
      }
    };
    let received = 0;
    let end = start;
    const receiver = async () => {
      while (received < events && Date.now() - start < 600_000) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        if (Messages.length === 0) continue;
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((m, j) => ({
              Id: String(j),
              ReceiptHandle: m.ReceiptHandle as string,
            })),
          }),
        );
        const now = Date.now();
        for (const m of Messages)
          latencies.push(now - (JSON.parse(m.Body as string) as { sentAt: number }).sentAt);
        received += Messages.length;
        end = now;
      }
    };
    await Promise.all([
      ...Array.from({ length: concurrency }, sender),
      ...Array.from({ length: concurrency }, receiver),
    ]);
    return figures(events, start, end, latencies);
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '5000' },
      keys: { type: 'string', default: '50' },
      modes: { type: 'string', default: 'direct,eventbridge' },
      'timeout-s': { type: 'string', default: '3600' },
      warmup: { type: 'string', default: '500' },
    },
  });
  const warmup = Number(values.warmup);
  const events = Number(values.events);
  const keys = Number(values.keys);
  const modes = values.modes.split(',') as PublishMode[];
  for (const mode of modes) {
    if (mode !== 'direct' && mode !== 'eventbridge')
      throw new Error(`--modes takes direct and/or eventbridge (given ${mode})`);
  }
  const outputs = await benchTarget('Lanes-Pipeline');

  const ours: Partial<Record<PublishMode, Figures>> = {};
  for (const mode of modes) {
    if (warmup > 0) {
      log(`[bench] ${mode}: warm-up with ${warmup} events (not measured)`);
      await benchPipeline(mode, outputs, warmup, keys, Number(values['timeout-s']) * 1000);
      await drained(outputs.NotificationsQueueUrl as string);
    }
    ours[mode] = await benchPipeline(
      mode,
      outputs,
      events,
      keys,
      Number(values['timeout-s']) * 1000,
    );
    log(`[bench] ${mode}: ${JSON.stringify(ours[mode])}`);
    // The baseline (and the next mode) must not run beside this mode's cold path.
    await drained(outputs.NotificationsQueueUrl as string);
  }
  log(
    `[bench] raw SQS: ${events} messages over ${keys} groups, send/receive/delete, 4 senders + 4 receivers, ${RAW_ROUNDS} rounds`,
  );
  if (warmup > 0) await benchRawSqs(warmup, keys, 4);
  const rounds: Figures[] = [];
  for (let round = 1; round <= RAW_ROUNDS; round++) {
    rounds.push(await benchRawSqs(events, keys, 4));
    log(`[bench] raw SQS round ${round}: ${(rounds.at(-1) as Figures).eventsPerSecond} events/s`);
  }
  const raw = {
    ...medianRound(rounds),
    roundsEventsPerSecond: rounds.map((r) => r.eventsPerSecond),
  };
  log(`[bench] raw SQS (median round): ${JSON.stringify(raw)}`);

  const ratio = Object.fromEntries(
    Object.entries(ours).map(([mode, f]) => [
      mode,
      Math.round((f.eventsPerSecond / raw.eventsPerSecond) * 1000) / 1000,
    ]),
  );
  const result = {
    benchmark: 'ingress',
    date: new Date().toISOString(),
    endpoint: process.env.AWS_ENDPOINT_URL ?? 'aws',
    machine: { cpus: cpus().length, node: process.version, loadAverageAtEnd: loadavg() },
    events,
    keys,
    warmupEvents: warmup,
    pipeline: ours,
    rawSqs: raw,
    ratioToRawSqs: ratio,
    notes: [
      'pipeline: events/s from first publish to last hot-path effect (DynamoDB); latency = processedAt - event time.',
      'rawSqs: the same number of messages over the same number of FIFO groups sent, received and deleted directly, no Lambda; three rounds after the pipeline modes (and their cold path) are done, the median round is the baseline (roundsEventsPerSecond lists all three).',
      'warmupEvents: sent through each path, unmeasured, before its measured run (the pipeline then waits for its cold path to drain).',
      "The embedded LocalStack runs the lanes SQS event source mapping (embedded-localstack/esm): up to MaximumConcurrency batches in flight per mapping (orders: 10, FIFO batches of <= 10 possibly spanning groups; notifications: 2, batches of 50 over a 1 s window). The figures measure that mapping, LocalStack's Lambda and DynamoDB Local on one shared 2-core machine, not AWS.",
      "pipeline.<mode>.breakdown (ms, means, hot path): publishPerCall = SendMessageBatch round trip seen by the publisher; queued = SentTimestamp to receive by a poller; poll = ReceiveMessage round trip; invokeOverhead = Invoke round trip minus the function execution; function = execution per batch; dynamodbRead = the orders worker's GetItem time per batch (the key's state, inside function); dynamodbCommit = its TransactWriteItems time per batch (effect + idempotency record, inside function), both as the function measured its calls to DynamoDB Local (LANES_FUNCTIONS_DYNAMODB=direct, the default; server-side through the gateway otherwise); delete = DeleteMessageBatch round trip.",
    ],
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  log(`[bench] wrote ${RESULTS_FILE}`);
  console.log(JSON.stringify({ pipeline: ours, rawSqs: raw, ratioToRawSqs: ratio }, null, 2));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
