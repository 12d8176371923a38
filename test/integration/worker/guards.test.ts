import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerHandler, type WorkerOptions } from '#functions/worker-handler.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import { DynamoDBLeaseStore } from '#shared/coordination/dynamodb-lease-store.ts';
import { KeyConcurrency, KeyPolicies, type KeyPolicy } from '#shared/coordination/key-policy.ts';
import { powertoolsIdempotency } from '#shared/coordination/powertools-idempotency.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import { useCoordinationTable } from '#test/integration/coordination/support/table.ts';
import { lambdaRecordOf } from '#test/integration/worker/support/lambda-records.ts';

/**
 * The worker's per-key policy and idempotency guards on real parts: records are received from a
 * LocalStack SQS queue (real receipt handles and receive counts), leases and idempotency records
 * live in a LocalStack DynamoDB table. The handler runs in-process so the test can hold a key.
 */

// The worker's EMF lines would flood the test output; the assertions are on effects.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const sqs = new SQSClient({});
const dynamodb = new DynamoDBClient({});
const table = useCoordinationTable(dynamodb);
let queueUrl = '';
let queueArn = '';

beforeAll(async () => {
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: `lanes-guards-${Date.now().toString(36)}`,
      Attributes: { VisibilityTimeout: '60' },
    }),
  );
  queueUrl = created.QueueUrl as string;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  queueArn = attributes.Attributes?.QueueArn as string;
});
afterAll(async () => {
  if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
});

const lambdaContext = {
  functionName: 'guards-test',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 30_000,
} as Context;

let sequence = 0;
function orderEvent(customerId: string, id = `evt-${Date.now().toString(36)}-${++sequence}`) {
  return {
    id,
    type: 'orders.created',
    source: 'lanes.test',
    time: new Date().toISOString(),
    partitionKey: customerId,
    sequence,
    data: { orderId: `o-${id}`, customerId, amountCents: 500, currency: 'EUR' },
  } satisfies Envelope;
}

async function send(event: Envelope): Promise<void> {
  await sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }),
  );
}

/** Receives up to `max` messages and shapes them as the Lambda event source mapping would. */
async function receive(max = 10, waitSeconds = 1): Promise<SQSEvent> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  const Records = (out.Messages ?? []).map((message) => lambdaRecordOf(message, queueArn));
  return { Records };
}

/**
 * The worker handler, invoked as the event source mapping would: records it did not report as
 * failed are deleted from the queue afterwards.
 */
function worker(
  options: Pick<WorkerOptions, 'keyConcurrency' | 'idempotency' | 'maxReceiveCount'>,
) {
  const runs: string[] = [];
  const handler = createWorkerHandler({
    catalogue: ordersCatalogue,
    logger: new Logger({ serviceName: 'guards-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'guards-test' }),
    processEvent: async (event) => {
      runs.push(event.id);
    },
    ...options,
  });
  const handle = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    let result: SQSBatchResponse;
    try {
      result = await handler(event, lambdaContext);
    } catch {
      // Every record failed (Powertools throws then): the whole batch is retried.
      result = { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    for (const record of event.Records) {
      if (failed.has(record.messageId)) continue;
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }),
      );
    }
    return result;
  };
  /** Ids of the events `processEvent` ran, in order. */
  return { handle, runs };
}

/** This worker's policy for `job` (owner w1). */
const keyPolicy = (job: string, policy: KeyPolicy, retryBaseSeconds?: number) =>
  new KeyConcurrency({
    store: new DynamoDBLeaseStore({ tableName: table.name, client: dynamodb, owner: 'w1' }),
    job,
    policy,
    ...(retryBaseSeconds ? { retryBaseSeconds } : {}),
  });

/** Receives until one message arrives or `ms` pass. */
async function receiveWithin(ms: number): Promise<SQSEvent> {
  const started = Date.now();
  let batch: SQSEvent = { Records: [] };
  while (batch.Records.length === 0 && Date.now() - started < ms) batch = await receive(1, 1);
  return batch;
}

/** Another worker running `key` under `policy` until `release()`; resolves once it holds the key. */
async function holdKey(job: string, policy: KeyPolicy, key: string) {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  const done = new KeyConcurrency({
    store: new DynamoDBLeaseStore({ tableName: table.name, client: dynamodb, owner: 'other' }),
    job,
    policy,
    leaseDurationMs: 10_000,
  }).run(key, async () => {
    holding();
    await released;
  });
  await held;
  return { release, done };
}

describe('worker guards on LocalStack', () => {
  it('idempotency: an event delivered twice (republished with the same id) runs once, and both deliveries are acknowledged', async () => {
    const { handle, runs } = worker({
      idempotency: powertoolsIdempotency({
        tableName: table.name,
        keyPrefix: 'guards',
        payloadPath: 'data',
        client: dynamodb,
      }),
    });
    const event = orderEvent('c-idem');

    await send(event);
    const first = await handle(await receive(1));
    await send(event); // the producer retried after a timeout: same event id
    const second = await receive(1);
    expect(second.Records).toHaveLength(1);
    const secondResult = await handle(second);

    expect(first.batchItemFailures).toEqual([]);
    expect(secondResult.batchItemFailures).toEqual([]);
    expect(runs).toEqual([event.id]);
  });

  it('limit(1): an event whose key is held elsewhere is postponed by the suggested delay, not run and not dead-lettered, and runs once the key is free', async () => {
    const { handle, runs } = worker({
      keyConcurrency: keyPolicy('guards', KeyPolicies.limit(1), 1),
    });
    const event = orderEvent('c-busy');
    await send(event);

    // Another worker holds the key while this batch arrives.
    const other = await holdKey('guards', KeyPolicies.limit(1), 'c-busy');

    const batch = await receive(1);
    const busyResult = await handle(batch);
    const postponedAt = Date.now();
    expect(busyResult.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0]?.messageId }]);
    expect(runs).toEqual([]);
    // Not back at once (a postpone of 0 s would spin on the busy key)...
    expect((await receive(1, 0)).Records).toHaveLength(0);

    other.release();
    await other.done;
    // ...but back within seconds, long before the queue's 60 s visibility timeout.
    const redelivered = await receiveWithin(20_000);
    expect(Date.now() - postponedAt).toBeLessThan(20_000);
    expect(redelivered.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    const freeResult = await handle(redelivered);
    expect(freeResult.batchItemFailures).toEqual([]);
    expect(runs).toEqual([event.id]);
  });

  it('limit(1) near maxReceiveCount: the worker sends a delayed copy and acknowledges the original, so a busy key never sends it to the DLQ', async () => {
    const { handle, runs } = worker({
      keyConcurrency: keyPolicy('guards-requeue', KeyPolicies.limit(1), 1),
      // The queue would dead-letter on the 2nd receive: the first busy receive must requeue.
      maxReceiveCount: 2,
    });
    const event = orderEvent('c-requeue');
    await send(event);
    const other = await holdKey('guards-requeue', KeyPolicies.limit(1), 'c-requeue');

    const batch = await receive(1);
    const busyResult = await handle(batch);
    other.release();
    await other.done;

    expect(busyResult.batchItemFailures).toEqual([]); // the original is acknowledged (deleted)
    expect(runs).toEqual([]);
    const copy = await receiveWithin(20_000);
    expect(copy.Records).toHaveLength(1);
    expect(copy.Records[0]?.messageId).not.toBe(batch.Records[0]?.messageId);
    expect(copy.Records[0]?.attributes.ApproximateReceiveCount).toBe('1');
    expect(JSON.parse(copy.Records[0]?.body as string)).toEqual(event);
    expect((await handle(copy)).batchItemFailures).toEqual([]);
    expect(runs).toEqual([event.id]);
  });

  it('skip: an event whose key is busy is acknowledged without running', async () => {
    const { handle, runs } = worker({
      keyConcurrency: keyPolicy('guards-skip', KeyPolicies.skip()),
    });
    await send(orderEvent('c-skip'));

    const other = await holdKey('guards-skip', KeyPolicies.skip(), 'c-skip');

    const result = await handle(await receive(1));
    other.release();
    await other.done;

    expect(result.batchItemFailures).toEqual([]);
    expect(runs).toEqual([]);
  });
});
