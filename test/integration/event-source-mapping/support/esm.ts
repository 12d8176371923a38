import { resolve } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type EsmMappingStats, readEsmStats, readMappingStats } from '#localstack/esm-stats.ts';
import { bundledLambdaZip } from '#test/integration/support/bundle.ts';
import { testTarget } from '#test/integration/support/target.ts';

export const lambda = new LambdaClient({});
// Queue URLs name the gateway's host; keep requests on the configured endpoint.
export const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
export const dynamodb = new DynamoDBClient({});
const documents = DynamoDBDocumentClient.from(dynamodb);

export const endpoint = () => (process.env.AWS_ENDPOINT_URL ?? '').replace(/\/$/, '');

/**
 * Whether the target runs the lanes event source mapping. The embedded LocalStack must (a test
 * run there without it fails, naming the fix); against another endpoint, the tests that measure
 * the mapping's concurrency, scaling and throttling say that they need it instead of failing.
 */
export async function lanesMappingAvailable(): Promise<boolean> {
  let stats: Awaited<ReturnType<typeof readEsmStats>> | undefined;
  try {
    stats = endpoint() ? await readEsmStats(endpoint()) : undefined;
  } catch {
    stats = undefined;
  }
  if (stats !== undefined) return true;
  if (testTarget().kind === 'embedded') {
    throw new Error(
      `The embedded LocalStack on ${endpoint()} answers without the lanes event source mapping ` +
        '(/_lanes/event-source-mappings): it was started before the plugin was installed. Run ' +
        '`npm run localstack:stop && npm run localstack:setup` and run the tests again.',
    );
  }
  return false;
}

export const NEEDS_EMBEDDED =
  'needs the embedded LocalStack and its lanes event source mapping (/_lanes/event-source-mappings); the target has none, so this measurement was not run';

/** Tracks what a test file created, to delete it afterwards. */
export class Resources {
  readonly #cleanups: Array<() => Promise<unknown>> = [];
  add(cleanup: () => Promise<unknown>): void {
    this.#cleanups.push(cleanup);
  }
  async release(): Promise<void> {
    for (const cleanup of this.#cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** The recorder handler bundled (with the AWS SDK) into a zip, once per test file. */
export function recorderCode(): Promise<Buffer> {
  return bundledLambdaZip(resolve(import.meta.dirname, 'recorder-handler.ts'));
}

/** A table for the recorder's items (pk = run id, sk = start#uuid). */
export async function createRecordsTable(resources: Resources, name: string): Promise<string> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: name });
  resources.add(() => dynamodb.send(new DeleteTableCommand({ TableName: name })));
  return name;
}

/** A function running the recorder: `workMs` per record, items under `runId` in `table`. */
export async function createRecorderFunction(
  resources: Resources,
  options: { name: string; table: string; runId: string; workMs: number; timeoutSeconds?: number },
): Promise<string> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: options.name,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::000000000000:role/lanes-esm-test',
      Code: { ZipFile: await recorderCode() },
      Timeout: options.timeoutSeconds ?? 30,
      Environment: {
        Variables: {
          RECORDS_TABLE: options.table,
          RUN_ID: options.runId,
          WORK_MS: String(options.workMs),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    }),
  );
  resources.add(() => lambda.send(new DeleteFunctionCommand({ FunctionName: options.name })));
  await waitUntilFunctionActiveV2(
    { client: lambda, maxWaitTime: 60 },
    { FunctionName: options.name },
  );
  return options.name;
}

export interface TestQueue {
  readonly url: string;
  readonly arn: string;
}

export async function createQueue(
  resources: Resources,
  name: string,
  attributes: Record<string, string> = {},
): Promise<TestQueue> {
  const fifo = name.endsWith('.fifo');
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '60',
        ...(fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {}),
        ...attributes,
      },
    }),
  );
  resources.add(() => sqs.send(new DeleteQueueCommand({ QueueUrl })));
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl, arn: Attributes.QueueArn ?? '' };
}

/** Sends bodies in batches of 10 (with their message group on a FIFO queue), in order. */
export async function sendAll(
  queue: TestQueue,
  messages: ReadonlyArray<{ body: string; group?: string }>,
): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((message, j) => ({
      Id: String(j),
      MessageBody: message.body,
      ...(message.group !== undefined ? { MessageGroupId: message.group } : {}),
    }));
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries }),
    );
    if (Failed.length > 0) throw new Error(`send failed: ${JSON.stringify(Failed)}`);
  }
}

/** Creates the mapping (reporting batch item failures) and waits until it is enabled. */
export async function createMapping(
  resources: Resources,
  input: Omit<CreateEventSourceMappingCommandInput, 'FunctionResponseTypes'>,
): Promise<string> {
  const { UUID = '' } = await lambda.send(
    new CreateEventSourceMappingCommand({
      ...input,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    }),
  );
  resources.add(() => lambda.send(new DeleteEventSourceMappingCommand({ UUID })));
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID }));
    if (State === 'Enabled') return UUID;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Event source mapping ${UUID} did not become Enabled`);
}

export interface RecordedRecord {
  readonly id: string;
  readonly group?: string;
  readonly body: string;
  readonly receiveCount: number;
  /** SentTimestamp of the message (ms). */
  readonly sent: number;
  readonly outcome: 'processed' | 'failed' | 'skipped';
}

export interface Invocation {
  readonly start: number;
  readonly end: number;
  readonly records: readonly RecordedRecord[];
}

/** Every invocation the recorder wrote under `runId`, by start time. */
export async function invocations(table: string, runId: string): Promise<Invocation[]> {
  const found: Invocation[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :run',
        ExpressionAttributeValues: { ':run': runId },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      found.push({
        start: Number(item.start),
        end: Number(item.end),
        records: JSON.parse(String(item.records)) as RecordedRecord[],
      });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return found.sort((a, b) => a.start - b.start);
}

/** Most intervals open at one instant (an end at the same millisecond as a start closes first). */
export function peakOverlap(intervals: ReadonlyArray<{ start: number; end: number }>): number {
  const edges = intervals.flatMap(({ start, end }) => [
    [start, 1],
    [end, -1],
  ]) as Array<[number, number]>;
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    open += delta;
    peak = Math.max(peak, open);
  }
  return peak;
}

/** Waits until `check` passes, polling; fails with the last state after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<{ done: boolean; value: T; state: string }>,
  timeoutMs: number,
  intervalMs = 1_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const { done, value, state } = await check();
    if (done) return value;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last state: ${state}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until the recorder has processed `count` distinct messages; returns the invocations. */
export function waitForProcessed(
  table: string,
  runId: string,
  count: number,
  timeoutMs: number,
): Promise<Invocation[]> {
  return waitUntil(
    `${count} messages processed`,
    async () => {
      const all = await invocations(table, runId);
      const processed = new Set(
        all.flatMap((i) => i.records.filter((r) => r.outcome === 'processed').map((r) => r.id)),
      );
      return { done: processed.size >= count, value: all, state: `${processed.size}/${count}` };
    },
    timeoutMs,
  );
}

export function mappingStats(uuid: string): Promise<EsmMappingStats> {
  return readMappingStats(endpoint(), uuid);
}
