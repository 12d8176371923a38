import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import { Publisher, type PublishInput } from '#shared/ingress/publisher.ts';
import { directRouter } from '#shared/ingress/router.ts';
import { stackOutputs } from '#test/integration/support/outputs.ts';
import { FAULTS_OUTPUTS, FAULTS_STACK, type FaultWorker } from './faults-stack.ts';

/** The deployed fault stack: its tables, one worker's queue, DLQ and function, and clients. */
export function faultsStack() {
  const outputs = stackOutputs(FAULTS_STACK);
  const need = (key: string) => {
    const value = outputs[key];
    if (!value) throw new Error(`${FAULTS_STACK} has no output ${key}; redeploy the fault stack`);
    return value;
  };
  return {
    outputs,
    need,
    tableName: need(FAULTS_OUTPUTS.RESULTS_TABLE_NAME),
    coordinationTableName: need(FAULTS_OUTPUTS.COORDINATION_TABLE_NAME),
    documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    sqs: new SQSClient({}),
    worker: (name: FaultWorker) => ({
      queueUrl: need(`${name}QueueUrl`),
      dlqUrl: need(`${name}DlqUrl`),
      functionName: need(`${name}FunctionName`),
    }),
  };
}

/**
 * Publishes order events straight to one queue with the real Publisher (FIFO: group = key,
 * deduplication id = event id) and returns the envelopes it sent; fails if any was not sent.
 */
export async function publishTo(
  queueUrl: string,
  fifo: boolean,
  inputs: readonly PublishInput[],
  publisher?: Publisher,
): Promise<Envelope[]> {
  const sender =
    publisher ??
    new Publisher({
      catalogue: ordersCatalogue,
      router: directRouter([{ group: 'faults', typePrefixes: ['orders.'], queueUrl, fifo }]),
      source: 'lanes.faults',
    });
  const summary = await sender.publish(inputs);
  expect(summary.results.filter((r) => r.status !== 'sent').map((r) => r.error?.message)).toEqual(
    [],
  );
  return summary.results.map((r) => r.envelope as Envelope);
}

/** A run id unique to this run, so keys never collide with earlier runs. */
export const faultRunId = (label: string) =>
  `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;

/** Polls `check` until it returns a value; fails with `what` and the last state at the deadline. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<{ done: T | undefined; state: string }>,
  timeoutMs: number,
  intervalMs = 500,
): Promise<T> {
  const started = Date.now();
  let state = '';
  for (;;) {
    const result = await check();
    state = result.state;
    if (result.done !== undefined) return result.done;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last state: ${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const seconds = (ms: number) => Math.round(ms / 100) / 10;
