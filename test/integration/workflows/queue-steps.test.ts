import { setTimeout as sleep } from 'node:timers/promises';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEsmStats, resetMappingStats } from '#localstack/esm-stats.ts';
import { FULFILMENT_KEYS, FulfilmentInputSchema } from '#orders/domain/fulfilment/model.ts';
import { toFulfilmentInput } from '#orders/domain/fulfilment/steps.ts';
import { ClaimCheck } from '#shared/workflows/claim-check.ts';
import { DynamoDbClaimCheckStore } from '#shared/workflows/dynamodb-claim-check-store.ts';
import { TaskTokenExpiredError } from '#shared/workflows/errors.ts';
import { executionNameFor } from '#shared/workflows/execution-name.ts';
import { START_STATUS, WorkflowStarter } from '#shared/workflows/starter.ts';
import { TaskTokenClient } from '#shared/workflows/task-token.ts';
import {
  ddb,
  order,
  orderItems,
  queueDepth,
  sfn,
  sqs,
  waitForEnd,
  workflowsOutputs,
} from '#test/integration/workflows/support.ts';

const run = `iq${Date.now().toString(36)}`;
const ORDERS = 20;

describe('Queue-dispatched steps (order fulfilment through the step worker queue)', () => {
  const outputs = workflowsOutputs();
  const claimCheck = new ClaimCheck({
    store: new DynamoDbClaimCheckStore({
      client: ddb,
      tableName: outputs.tableName,
      sortKey: { name: 'sk', value: FULFILMENT_KEYS.CLAIM_CHECK_SK },
    }),
    thresholdBytes: outputs.thresholdBytes,
  });
  const starter = new WorkflowStarter({
    client: sfn,
    stateMachineArn: outputs.queuedArn,
    schema: FulfilmentInputSchema,
  });

  /** The step worker's mapping on the embedded LocalStack (its figures), or undefined elsewhere. */
  async function stepWorkerMapping(): Promise<string | undefined> {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    if (!endpoint || !(await readEsmStats(endpoint).catch(() => undefined))) return undefined;
    const { EventSourceMappings = [] } = await new LambdaClient({}).send(
      new ListEventSourceMappingsCommand({ FunctionName: outputs.stepWorkerFunctionName }),
    );
    const uuid = EventSourceMappings[0]?.UUID;
    if (uuid) await resetMappingStats(endpoint, uuid);
    return uuid;
  }

  it('runs every step through the worker queue with its concurrency cap enforced: peak equals the cap', async () => {
    const stepDlqBefore = await queueDepth(outputs.stepDlqUrl);
    const mapping = await stepWorkerMapping();
    const orders = Array.from({ length: ORDERS }, (_, i) =>
      order(`${run}-q${i}`, { customerId: `cust-${i % 5}` }),
    );
    const started = await Promise.all(
      orders.map(async (data) =>
        starter.start(
          data.orderId,
          await toFulfilmentInput(data, executionNameFor(data.orderId), claimCheck),
          `test order ${data.orderId}`,
        ),
      ),
    );
    expect(started.map((outcome) => outcome.status)).toEqual(
      orders.map(() => START_STATUS.STARTED),
    );
    const ended = await Promise.all(
      started.map((outcome) => waitForEnd(outcome.executionArn, 240_000)),
    );
    expect(ended.map((execution) => execution.status)).toEqual(orders.map(() => 'SUCCEEDED'));

    // Each step task was an SQS send that waited for the worker's task token answer.
    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: started[0]?.executionArn }),
    );
    const scheduled = events.flatMap((event) =>
      event.taskScheduledEventDetails?.resourceType === 'sqs'
        ? [event.taskScheduledEventDetails.resource]
        : [],
    );
    expect(scheduled).toEqual([
      'sendMessage.waitForTaskToken',
      'sendMessage.waitForTaskToken',
      'sendMessage.waitForTaskToken',
    ]);

    // The step worker ran them (its records say so); intervals never overlap beyond its cap.
    const intervals: Array<[number, number]> = [];
    for (const data of orders) {
      const items = await orderItems(outputs.tableName, data.orderId);
      for (const step of ['reserve', 'charge', 'notify']) {
        const record = items[FULFILMENT_KEYS.step(step)];
        expect(record?.dispatch).toBe('queue');
        intervals.push([Number(record?.startedAtMs), Number(record?.endedAtMs)]);
      }
    }
    const edges = intervals
      .flatMap(([start, end]) => [
        [start, 1],
        [end, -1],
      ])
      .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));
    let open = 0;
    let peak = 0;
    for (const [, delta] of edges) {
      open += delta ?? 0;
      peak = Math.max(peak, open);
    }
    const cap = outputs.stepWorkerMaxConcurrency;
    const figures = mapping ? await readEsmStats(process.env.AWS_ENDPOINT_URL ?? '') : undefined;
    const invocationsPeak = figures?.mappings.find((m) => m.uuid === mapping)?.peakConcurrency;
    console.info(
      `[workflows] ${intervals.length} queue-dispatched steps, peak step overlap ${peak}, peak invocations ${invocationsPeak ?? 'not measurable on this target (needs the embedded LocalStack)'}, cap ${cap}`,
    );
    expect(intervals).toHaveLength(ORDERS * 3);
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(cap);
    // The embedded mapping counts the step worker's invocations in flight: 20 orders keep it
    // busy, so it runs exactly `cap` at once (the reservation equals the cap: no throttles).
    if (mapping) {
      expect(invocationsPeak).toBe(cap);
      expect(figures?.mappings.find((m) => m.uuid === mapping)?.throttles).toBe(0);
    }
    expect(await queueDepth(outputs.stepDlqUrl)).toBe(stepDlqBefore);
  });

  it('compensates a failure reported by the worker with SendTaskFailure', async () => {
    const declined = order(`${run}-declined`, { amountCents: outputs.chargeLimitCents + 1 });
    const { executionArn } = await starter.start(
      declined.orderId,
      await toFulfilmentInput(declined, executionNameFor(declined.orderId), claimCheck),
      'test',
    );
    const ended = await waitForEnd(executionArn);
    expect(ended.status).toBe('FAILED');
    expect(ended.error).toBe('PaymentDeclinedError');
    expect((await orderItems(outputs.tableName, declined.orderId)).reservation?.status).toBe(
      'RELEASED',
    );
  });
});

describe('TaskTokenClient heartbeats on LocalStack Step Functions', () => {
  const tokens = new TaskTokenClient({ client: sfn });
  let queueUrl = '';
  let stateMachineArn = '';

  beforeAll(async () => {
    ({ QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: `lanes-heartbeat-${run}` }),
    ));
    ({ stateMachineArn = '' } = await sfn.send(
      new CreateStateMachineCommand({
        name: `lanes-heartbeat-${run}`,
        roleArn: 'arn:aws:iam::000000000000:role/lanes-heartbeat-test',
        definition: JSON.stringify({
          StartAt: 'Slow',
          States: {
            Slow: {
              Type: 'Task',
              Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
              HeartbeatSeconds: 2,
              TimeoutSeconds: 60,
              Parameters: { QueueUrl: queueUrl, MessageBody: { 'token.$': '$$.Task.Token' } },
              End: true,
            },
          },
        }),
      }),
    ));
  });

  afterAll(async () => {
    if (stateMachineArn) await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
    if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  });

  async function receiveToken(): Promise<string> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          WaitTimeSeconds: 2,
          MaxNumberOfMessages: 1,
        }),
      );
      const message = Messages[0];
      if (message?.Body) {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        return (JSON.parse(message.Body) as { token: string }).token;
      }
    }
    throw new Error('No task token message arrived');
  }

  it('keeps a step longer than HeartbeatSeconds alive with heartbeats, then succeeds', async () => {
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: `${run}-alive`, input: '{}' }),
    );
    const token = await receiveToken();
    const output = await tokens.withHeartbeat(token, 'slow', 500, async () => {
      await sleep(5_000);
      return { done: true };
    });
    await tokens.succeed(token, 'slow', output);
    const ended = await waitForEnd(executionArn);
    expect(ended.status).toBe('SUCCEEDED');
    expect(JSON.parse(ended.output ?? '{}')).toEqual({ done: true });
  });

  it('loses the task without heartbeats: States.HeartbeatTimeout, and the late answer is refused', async () => {
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: `${run}-silent`, input: '{}' }),
    );
    const token = await receiveToken();
    const ended = await waitForEnd(executionArn, 30_000);
    expect(ended.status).toBe('FAILED');
    // AWS names it States.HeartbeatTimeout; LocalStack 4.13 reports States.Timeout. Either way it
    // is the 2 s heartbeat, not the 60 s task timeout, that ended the task (queueStep retries both).
    expect(['States.HeartbeatTimeout', 'States.Timeout']).toContain(ended.error);
    expect((ended.stopDate?.getTime() ?? 0) - (ended.startDate?.getTime() ?? 0)).toBeLessThan(
      30_000,
    );
    await expect(tokens.succeed(token, 'slow', { late: true })).rejects.toBeInstanceOf(
      TaskTokenExpiredError,
    );
  });
});
