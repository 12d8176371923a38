import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  FULFILMENT_EVENT_TYPE,
  FULFILMENT_KEYS,
  type FulfilmentRequested,
} from '#orders/domain/fulfilment/model.ts';
import { WORKFLOWS_OUTPUTS } from '#orders/infra/workflows-stack.ts';
import { stackOutputs } from '#test/integration/support/outputs.ts';

export const sfn = new SFNClient({});
// Queue URLs name the gateway as localhost; keep requests on the configured endpoint.
export const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
export const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Outputs of Lanes-Workflows, by the stack's output keys. */
export function workflowsOutputs() {
  const outputs = stackOutputs('Lanes-Workflows');
  const get = (key: (typeof WORKFLOWS_OUTPUTS)[keyof typeof WORKFLOWS_OUTPUTS]) => {
    const value = outputs[key];
    if (value === undefined) throw new Error(`Lanes-Workflows has no output ${key}`);
    return value;
  };
  return {
    tableName: get(WORKFLOWS_OUTPUTS.TABLE_NAME),
    directArn: get(WORKFLOWS_OUTPUTS.DIRECT_STATE_MACHINE_ARN),
    queuedArn: get(WORKFLOWS_OUTPUTS.QUEUED_STATE_MACHINE_ARN),
    starterQueueUrl: get(WORKFLOWS_OUTPUTS.STARTER_QUEUE_URL),
    starterDlqUrl: get(WORKFLOWS_OUTPUTS.STARTER_DLQ_URL),
    stepQueueUrl: get(WORKFLOWS_OUTPUTS.STEP_QUEUE_URL),
    stepDlqUrl: get(WORKFLOWS_OUTPUTS.STEP_DLQ_URL),
    stepWorkerMaxConcurrency: Number(get(WORKFLOWS_OUTPUTS.STEP_WORKER_MAX_CONCURRENCY)),
    stepWorkerFunctionName: get(WORKFLOWS_OUTPUTS.STEP_WORKER_FUNCTION_NAME),
    thresholdBytes: Number(get(WORKFLOWS_OUTPUTS.CLAIM_CHECK_THRESHOLD_BYTES)),
    chargeLimitCents: Number(get(WORKFLOWS_OUTPUTS.CHARGE_LIMIT_CENTS)),
  };
}

/** An order for the fulfilment workflow; `overrides` shape the failure cases. */
export function order(
  orderId: string,
  overrides: Partial<FulfilmentRequested> = {},
): FulfilmentRequested {
  return {
    orderId,
    customerId: `cust-${orderId.length % 7}`,
    amountCents: 2_500,
    currency: 'EUR',
    email: 'buyer@example.com',
    lines: [
      { sku: 'sku-1', quantity: 2 },
      { sku: 'sku-2', quantity: 1 },
    ],
    ...overrides,
  };
}

/** A lanes envelope for `fulfilment.requested`, with a fresh event id. */
export function fulfilmentEvent(data: FulfilmentRequested, sequence = 1) {
  return {
    id: randomUUID(),
    type: FULFILMENT_EVENT_TYPE,
    source: 'lanes.tests',
    time: new Date().toISOString(),
    partitionKey: data.customerId,
    sequence,
    data,
  };
}

/** Sends envelopes to a FIFO queue as the direct-mode publisher does (group = partition key). */
export async function sendEvents(
  queueUrl: string,
  events: ReadonlyArray<ReturnType<typeof fulfilmentEvent>>,
): Promise<void> {
  for (let i = 0; i < events.length; i += 10) {
    const chunk = events.slice(i, i + 10);
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((event, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(event),
          MessageGroupId: event.partitionKey,
          MessageDeduplicationId: event.id,
        })),
      }),
    );
    if (result.Failed?.length) {
      throw new Error(`SendMessageBatch failed for ${JSON.stringify(result.Failed)}`);
    }
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 1_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Every execution of a state machine whose name starts with `prefix`. */
export async function listExecutions(
  stateMachineArn: string,
  prefix: string,
): Promise<ExecutionListItem[]> {
  const found: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }),
    );
    for (const execution of page.executions ?? []) {
      if (execution.name?.startsWith(prefix)) found.push(execution);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

/** Waits until the execution has ended and returns its description. */
export async function waitForEnd(executionArn: string, timeoutMs = 120_000) {
  return waitFor(
    `execution ${executionArn} to end`,
    async () => {
      const description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return description.status === 'RUNNING' ? undefined : description;
    },
    timeoutMs,
    500,
  );
}

/** Visible plus in-flight messages of a queue. */
export async function queueDepth(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Every item the fulfilment steps wrote for an order, by sort key. */
export async function orderItems(
  tableName: string,
  orderId: string,
): Promise<Record<string, Record<string, unknown>>> {
  const { Items } = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': FULFILMENT_KEYS.order(orderId) },
      ConsistentRead: true,
    }),
  );
  return Object.fromEntries((Items ?? []).map((item) => [String(item.sk), item]));
}
