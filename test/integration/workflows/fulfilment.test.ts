import { createHash } from 'node:crypto';
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { showWorkflow } from '#cli/workflow.ts';
import { executionArnFor, executionNameFor } from '#shared/workflows/execution-name.ts';
import { PAYLOAD_LIMITS } from '#shared/workflows/payload.ts';
import {
  ddb,
  fulfilmentEvent,
  listExecutions,
  order,
  orderItems,
  queueDepth,
  sendEvents,
  sfn,
  waitFor,
  waitForEnd,
  workflowsOutputs,
} from '#test/integration/workflows/support.ts';

const run = `it${Date.now().toString(36)}`;
const ORDERS = 200;
const DUPLICATES = 20;

/** Every payload the history shows: execution input, state inputs/outputs, task parameters. */
function payloadsOf(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((event) =>
    [
      event.executionStartedEventDetails?.input,
      event.stateEnteredEventDetails?.input,
      event.stateExitedEventDetails?.output,
      event.taskScheduledEventDetails?.parameters,
      event.taskSucceededEventDetails?.output,
      event.lambdaFunctionScheduledEventDetails?.input,
      event.lambdaFunctionSucceededEventDetails?.output,
      event.executionSucceededEventDetails?.output,
    ].filter((payload): payload is string => payload !== undefined),
  );
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

describe('Order fulfilment workflow started from events (Lanes-Workflows, direct tasks)', () => {
  const outputs = workflowsOutputs();
  const orders = Array.from({ length: ORDERS }, (_, i) => order(`${run}-o${i}`));
  let starterDlqBefore = 0;

  beforeAll(async () => {
    starterDlqBefore = await queueDepth(outputs.starterDlqUrl);
  });

  it('starts one execution per order: 200 orders, 200 executions; 20 duplicates start none', async () => {
    await sendEvents(
      outputs.starterQueueUrl,
      orders.map((data) => fulfilmentEvent(data)),
    );
    const started = await waitFor(
      `${ORDERS} executions`,
      async () => {
        const executions = await listExecutions(outputs.directArn, `${run}-o`);
        return executions.length >= ORDERS ? executions : undefined;
      },
      240_000,
      2_000,
    );
    expect(started).toHaveLength(ORDERS);

    // The same orders again under new event ids (a producer that republished them): SQS does
    // not deduplicate these, the execution name must.
    await sendEvents(
      outputs.starterQueueUrl,
      orders.slice(0, DUPLICATES).map((data) => fulfilmentEvent(data, 2)),
    );
    await waitFor(
      'the starter queue to drain',
      async () => ((await queueDepth(outputs.starterQueueUrl)) === 0 ? true : undefined),
      120_000,
    );
    const after = await listExecutions(outputs.directArn, `${run}-o`);
    expect(after).toHaveLength(ORDERS);
    expect(new Set(after.map((execution) => execution.name)).size).toBe(ORDERS);
    expect(await queueDepth(outputs.starterDlqUrl)).toBe(starterDlqBefore);

    const finished = await waitFor(
      'every execution to succeed',
      async () => {
        const executions = await listExecutions(outputs.directArn, `${run}-o`);
        return executions.every((execution) => execution.status !== 'RUNNING')
          ? executions
          : undefined;
      },
      240_000,
      2_000,
    );
    expect(finished.filter((execution) => execution.status === 'SUCCEEDED')).toHaveLength(ORDERS);
  });

  it('compensates a declined charge: releases the reservation and records the reason', async () => {
    const declined = order(`${run}-declined`, { amountCents: outputs.chargeLimitCents + 1 });
    await sendEvents(outputs.starterQueueUrl, [fulfilmentEvent(declined)]);
    const executionArn = executionArnFor(outputs.directArn, executionNameFor(declined.orderId));
    await waitFor(
      'the execution to start',
      async () => {
        const found = await listExecutions(outputs.directArn, declined.orderId);
        return found.length > 0 ? found : undefined;
      },
      60_000,
    );
    const ended = await waitForEnd(executionArn);

    expect(ended.status).toBe('FAILED');
    expect(ended.error).toBe('PaymentDeclinedError');
    expect(ended.cause).toContain(`${declined.amountCents} cents is above the charge limit`);
    const items = await orderItems(outputs.tableName, declined.orderId);
    expect(items.reservation?.status).toBe('RELEASED');
    expect(items.payment).toBeUndefined();
    expect(items['step#release']?.outcome).toBe('released');
    const { Item: status } = await ddb.send(
      new GetCommand({
        TableName: outputs.tableName,
        Key: { pk: `workflow#${declined.orderId}`, sk: 'status' },
      }),
    );
    expect(status).toMatchObject({ status: 'FAILED', error: 'PaymentDeclinedError', executionArn });
    expect(String(status?.cause)).toContain('above the charge limit');
  });

  it('compensates a rejected notification: refunds, then releases, and records the reason', async () => {
    const rejected = order(`${run}-rejected`, { email: 'buyer@shop.invalid' });
    await sendEvents(outputs.starterQueueUrl, [fulfilmentEvent(rejected)]);
    const executionArn = executionArnFor(outputs.directArn, executionNameFor(rejected.orderId));
    await waitFor(
      'the execution to start',
      async () => {
        const found = await listExecutions(outputs.directArn, rejected.orderId);
        return found.length > 0 ? found : undefined;
      },
      60_000,
    );
    const ended = await waitForEnd(executionArn);

    expect(ended.status).toBe('FAILED');
    expect(ended.error).toBe('NotificationRejectedError');
    const items = await orderItems(outputs.tableName, rejected.orderId);
    expect(items.payment?.status).toBe('REFUNDED');
    expect(items.reservation?.status).toBe('RELEASED');
    const entered = (await history(executionArn))
      .map((event) => event.stateEnteredEventDetails?.name)
      .filter(Boolean);
    expect(entered).toEqual([
      'Run',
      'Reserve',
      'Charge',
      'Notify',
      'Refund',
      'ReleaseAfterNotifyFailed',
      'Compensated',
      'RecordFailure',
      'Failed',
    ]);
  });

  it('passes a payload above the threshold by reference; no state comes near the limit', async () => {
    const note = 'x'.repeat(4_000);
    const large = order(`${run}-large`, {
      lines: Array.from({ length: 50 }, (_, i) => ({ sku: `sku-${i}`, quantity: 1, note })),
    });
    const linesJson = JSON.stringify(large.lines);
    expect(Buffer.byteLength(linesJson)).toBeGreaterThan(outputs.thresholdBytes * 10);
    await sendEvents(outputs.starterQueueUrl, [fulfilmentEvent(large)]);
    const executionArn = executionArnFor(outputs.directArn, executionNameFor(large.orderId));
    await waitFor(
      'the execution to start',
      async () => {
        const found = await listExecutions(outputs.directArn, large.orderId);
        return found.length > 0 ? found : undefined;
      },
      60_000,
    );
    const ended = await waitForEnd(executionArn);

    expect(ended.status).toBe('SUCCEEDED');
    expect(JSON.parse(ended.input ?? '{}').lines.claimCheck.bytes).toBe(
      Buffer.byteLength(linesJson),
    );
    const sizes = payloadsOf(await history(executionArn)).map((payload) =>
      Buffer.byteLength(payload),
    );
    expect(sizes.length).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThan(outputs.thresholdBytes);
    expect(Math.max(...sizes)).toBeLessThan(PAYLOAD_LIMITS.STATE_BYTES / 10);
    // The notify step loaded the full lines through the reference.
    const items = await orderItems(outputs.tableName, large.orderId);
    expect(items.notification).toMatchObject({
      byReference: true,
      linesBytes: Buffer.byteLength(linesJson),
      linesSha256: createHash('sha256').update(linesJson).digest('hex'),
    });
  });

  it('shows status and step history of a finished and of a failed workflow by business key', async () => {
    const finishedKey = orders[0]?.orderId ?? '';
    const failedKey = `${run}-declined`;
    // The ARNs read when this file started: other runs may rewrite .lanes/outputs.json meanwhile.
    const stateMachines = {
      'order-fulfilment (direct)': outputs.directArn,
      'order-fulfilment (queue)': outputs.queuedArn,
    };
    const finished: string[] = [];
    await showWorkflow(finishedKey, { stateMachines, print: (line) => finished.push(line) });
    const failed: string[] = [];
    await showWorkflow(failedKey, { stateMachines, print: (line) => failed.push(line) });

    const finishedText = finished.join('\n');
    expect(finishedText).toContain(`order-fulfilment (direct): ${finishedKey}`);
    expect(finishedText).toMatch(/status {3}SUCCEEDED/);
    for (const step of ['Reserve', 'Charge', 'Notify', 'RecordSuccess']) {
      expect(finishedText).toMatch(new RegExp(`${step} +Task +succeeded`));
    }
    const failedText = failed.join('\n');
    expect(failedText).toMatch(/status {3}FAILED/);
    expect(failedText).toMatch(/reason {3}PaymentDeclinedError: .*above the charge limit/);
    expect(failedText).toMatch(/Charge +Task +failed .*PaymentDeclinedError/);
    expect(failedText).toMatch(/ReleaseAfterChargeFailed +Task +succeeded/);
  });
});
