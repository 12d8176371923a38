import { readFileSync, statSync } from 'node:fs';
import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '#localstack/settings.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import type { PublishInput } from '#shared/ingress/publisher.ts';
import { drainDeadLetters, tallyOrders } from './support/accounting.ts';
import { FAULT_WORKERS, FAULTS_OUTPUTS } from './support/faults-stack.ts';
import { recordFault } from './support/results.ts';
import { faultRunId, faultsStack, publishTo, seconds, waitUntil } from './support/stack.ts';

/**
 * Throttling: one function with reserved concurrency 1 consumes two queues (a standard and a
 * FIFO one, two event source mappings) and gets a burst on both at once, so invocations overlap
 * and the second one is refused (429). Throttled batches go back to their queue and count as
 * receives, on AWS and on LocalStack; with maxReceiveCount 10 the burst must drain with every
 * event applied once, nothing lost and nothing healthy dead-lettered.
 *
 * Reserved concurrency is set through the Lambda API (PutFunctionConcurrency), which every
 * LocalStack event source mapping honours; whether the mapping itself also respects
 * MaximumConcurrency does not change what is asserted.
 */
const STANDARD_EVENTS = 100;
const FIFO_EVENTS = 100;
const FIFO_KEYS = 5;

const lambda = new LambdaClient({});
const stack = faultsStack();
const throttled = stack.worker(FAULT_WORKERS.THROTTLED);
const fifoQueueUrl = stack.need(FAULTS_OUTPUTS.THROTTLED_FIFO_QUEUE_URL);
const fifoDlqUrl = stack.need('ThrottledFifoDlqUrl');

beforeAll(async () => {
  await lambda.send(
    new PutFunctionConcurrencyCommand({
      FunctionName: throttled.functionName,
      ReservedConcurrentExecutions: 1,
    }),
  );
});
afterAll(async () => {
  await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: throttled.functionName }));
});

/** Invocations LocalStack's event source mappings had refused (429) since `offset` of its log. */
function throttledInvokesSince(offset: number): number {
  const text = readFileSync(paths.log).subarray(offset).toString('utf8');
  return text
    .split('\n')
    .filter((line) => /TooManyRequestsException\) when calling the Invoke operation/.test(line))
    .length;
}

function orders(keys: string[], perKey: number): PublishInput[] {
  return keys.flatMap((customerId) =>
    Array.from({ length: perKey }, (_, n) => ({
      type: 'orders.created',
      data: { orderId: `${customerId}-o${n}`, customerId, amountCents: 100 + n, currency: 'EUR' },
    })),
  );
}

describe('fault: throttling (reserved concurrency 1, a burst on two mappings)', () => {
  it(`${STANDARD_EVENTS + FIFO_EVENTS} events: each applied once, none lost, none dead-lettered`, async () => {
    const reserved = await lambda.send(
      new GetFunctionConcurrencyCommand({ FunctionName: throttled.functionName }),
    );
    expect(reserved.ReservedConcurrentExecutions).toBe(1);
    const run = faultRunId('throttle');
    const standardKeys = Array.from({ length: STANDARD_EVENTS }, (_, k) => `${run}-s${k}`);
    const fifoKeys = Array.from({ length: FIFO_KEYS }, (_, k) => `${run}-f${k}`);
    const logOffset = statSync(paths.log).size;
    const started = Date.now();

    const [standardSent, fifoSent] = await Promise.all([
      publishTo(throttled.queueUrl, false, orders(standardKeys, 1)),
      publishTo(fifoQueueUrl, true, orders(fifoKeys, FIFO_EVENTS / FIFO_KEYS)),
    ]);
    const sent: Envelope[] = [...standardSent, ...fifoSent];
    const dead: string[] = [];
    const belongs = (envelope: Envelope) => envelope.partitionKey.startsWith(run);
    const tally = await waitUntil(
      'the burst to drain',
      async () => {
        dead.push(
          ...(await drainDeadLetters(stack.sqs, [throttled.dlqUrl, fifoDlqUrl], belongs)).map(
            (d) => d.eventId,
          ),
        );
        const counted = await tallyOrders(stack.documentClient, stack.tableName, sent, dead);
        return {
          done: counted.processed + counted.inDlq >= sent.length ? counted : undefined,
          state: `applied ${counted.processed}, in DLQ ${counted.inDlq}`,
        };
      },
      240_000,
      1_000,
    );
    const recoverySeconds = seconds(Date.now() - started);
    const throttles = throttledInvokesSince(logOffset);
    const receives = [...tally.perKey.values()].flatMap((k) => [...k.receives.values()]);

    recordFault({
      scenario: 'throttling-reserved-concurrency-1',
      fault: `reserved concurrency 1 (PutFunctionConcurrency), a burst of ${STANDARD_EVENTS} events on a standard queue and ${FIFO_EVENTS} over ${FIFO_KEYS} keys on a FIFO queue, both mapped to the function`,
      sent: tally.sent,
      processed: tally.processed,
      effectsApplied: tally.effectsApplied,
      duplicates: tally.duplicates,
      lost: tally.lost,
      inDlq: tally.inDlq,
      expectedInDlq: 0,
      recoverySeconds,
      details: {
        throttledInvokes: throttles,
        // Receives used up before the worker saw the event (throttled or raced batches).
        eventsReceivedMoreThanOnce: receives.filter((n) => n > 1).length,
        highestReceiveCount: Math.max(...receives),
        deliveries: tally.deliveries,
        maxReceiveCount: 10,
        visibilityTimeoutSeconds: 4,
      },
      notes:
        'recoverySeconds: from the burst until every event was applied. throttledInvokes: invocations of the event source mappings refused with TooManyRequestsException during the burst (from the LocalStack log); their batches went back to the queue and came again (highestReceiveCount).',
    });

    expect(tally).toMatchObject({
      sent: STANDARD_EVENTS + FIFO_EVENTS,
      processed: STANDARD_EVENTS + FIFO_EVENTS,
      effectsApplied: STANDARD_EVENTS + FIFO_EVENTS,
      duplicates: 0,
      lost: 0,
      inDlq: 0,
    });
    const bySequence = new Map(sent.map((event) => [event.id, event.sequence]));
    for (const key of fifoKeys) {
      expect(
        tally.perKey.get(key)?.applied.map((id) => bySequence.get(id)),
        `order of ${key}`,
      ).toEqual(Array.from({ length: FIFO_EVENTS / FIFO_KEYS }, (_, i) => i + 1));
    }
  });
});
