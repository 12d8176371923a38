import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerHandler } from '#functions/worker-handler.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import type { RetryDelay } from '#shared/worker/retry-delay.ts';
import { lambdaRecordOf } from '#test/integration/worker/support/lambda-records.ts';

/**
 * Records the worker hands back without starting them (no time left in the invocation) are made
 * visible again at once, on a real LocalStack SQS FIFO queue: the group goes on with its next
 * receive instead of waiting out the 60 s visibility timeout. The handler runs in-process and
 * the test plays the event source mapping (receive, invoke, delete what did not fail).
 */

// The worker's EMF lines would flood the test output; the assertions are on the queue.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const sqs = new SQSClient({});
const run = Date.now().toString(36);
const queues: string[] = [];

afterAll(async () => {
  await Promise.all(queues.map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))));
});

async function fifoQueue(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `lanes-release-${name}-${run}.fifo`,
      Attributes: { FifoQueue: 'true', VisibilityTimeout: '60' },
    }),
  );
  const url = QueueUrl as string;
  queues.push(url);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: Attributes?.QueueArn as string };
}

const event = (sequence: number): Envelope => ({
  id: `release-${run}-${sequence}`,
  type: 'orders.created',
  source: 'lanes.test',
  time: new Date().toISOString(),
  partitionKey: 'c-release',
  sequence,
  data: { orderId: `o-${sequence}`, customerId: 'c-release', amountCents: 100, currency: 'EUR' },
});

async function sendGroup(url: string, count: number): Promise<void> {
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: Array.from({ length: count }, (_, i) => ({
        Id: String(i),
        MessageBody: JSON.stringify(event(i + 1)),
        MessageGroupId: 'c-release',
        MessageDeduplicationId: `${run}-${i}`,
      })),
    }),
  );
}

async function receive(queue: { url: string; arn: string }, waitSeconds: number) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages.map((message) => lambdaRecordOf(message, queue.arn));
}

/** A Lambda context with `timeoutMs` left, as the runtime computes it. */
function contextFor(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName: 'release-test',
    awsRequestId: 'req',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  } as Context;
}

/**
 * One invocation on a batch of the queue: 350 ms per record, a 400 ms budget and 600 ms to the
 * stop point, so only the first record starts. Deletes what did not fail, as the mapping does.
 */
async function invokeOnce(
  queue: { url: string; arn: string },
  retryDelay?: RetryDelay,
): Promise<{ ran: string[]; failed: string[] }> {
  const ran: string[] = [];
  const handler = createWorkerHandler({
    catalogue: ordersCatalogue,
    logger: new Logger({ serviceName: 'release-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'release-test' }),
    recordBudgetMs: 400,
    ...(retryDelay ? { retryDelay } : {}),
    processEvent: async (e) => {
      ran.push(e.id);
      await new Promise((resolve) => setTimeout(resolve, 350));
    },
  });
  const records = await receive(queue, 5);
  expect(records).toHaveLength(3);
  const response = await handler({ Records: records }, contextFor(1_100));
  const failed = response.batchItemFailures.map((f) => f.itemIdentifier);
  const done = records.filter((r) => !failed.includes(r.messageId));
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queue.url,
      Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
    }),
  );
  return { ran, failed };
}

describe('records handed back unstarted (LocalStack SQS FIFO)', () => {
  let released: { url: string; arn: string };
  let held: { url: string; arn: string };
  beforeAll(async () => {
    [released, held] = await Promise.all([fifoQueue('on'), fifoQueue('off')]);
    await Promise.all([sendGroup(released.url, 3), sendGroup(held.url, 3)]);
  });

  it('are visible again at once: the group goes on with its next receive, in order', async () => {
    const { ran, failed } = await invokeOnce(released);
    expect(ran).toEqual([`release-${run}-1`]);
    expect(failed).toHaveLength(2);

    const again = await receive(released, 2);
    expect(again.map((r) => JSON.parse(r.body).sequence)).toEqual([2, 3]);
    expect(again.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);
  });

  it('without a release (a RetryDelay that has none) hold their group for the visibility timeout', async () => {
    const noRelease: RetryDelay = { postpone: async () => {}, requeue: async () => {} };
    const { ran, failed } = await invokeOnce(held, noRelease);
    expect(ran).toEqual([`release-${run}-1`]);
    expect(failed).toHaveLength(2);

    expect(await receive(held, 2)).toEqual([]);
  });
});
