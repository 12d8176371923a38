import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createWorkerHandler } from '#functions/worker-handler.ts';
import { orderInputs } from '#orders/demo.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import { ordersWorkerOptions } from '#orders/domain/workers.ts';
import { ManualClock } from '#shared/coordination/clock.ts';
import { DEFAULT_IDEMPOTENCY_RETENTION_SECONDS } from '#shared/coordination/retention.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import { Publisher, type PublishInput } from '#shared/ingress/publisher.ts';
import { routerFromOutputs } from '#shared/ingress/router.ts';
import { pipeline } from '#test/integration/ingress/support.ts';
import { keyEffects, tallyOrders } from './support/accounting.ts';
import { recordFault } from './support/results.ts';
import { faultRunId, seconds, waitUntil } from './support/stack.ts';

/**
 * Duplicate deliveries and producer retries on the deployed reference pipeline, and a retry
 * after SQS's 5-minute deduplication window with a simulated clock: every copy of an event is
 * recognised by its idempotency record (kept 14 days), whatever its position in its key's stream.
 */
const sqs = new SQSClient({});

async function queueIdle(queueUrl: string): Promise<boolean> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) === 0 &&
    Number(Attributes.ApproximateNumberOfMessagesNotVisible) === 0
  );
}

/** Notifications of `keys`: how often each was applied (`sends`). */
async function notificationSends(keys: readonly string[]): Promise<Map<string, number>> {
  const { reader } = pipeline();
  const sends = new Map<string, number>();
  for (const key of keys) {
    for (const item of await reader.notifications(key)) {
      sends.set(item.eventId, Number((item as unknown as { sends?: number }).sends ?? 0));
    }
  }
  return sends;
}

/** Sends the exact bodies again, as SQS would accept them once its 5-minute window is over. */
async function redeliver(
  queueUrl: string,
  events: readonly Envelope[],
  fifo: boolean,
  tag: string,
) {
  for (let i = 0; i < events.length; i += 10) {
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: events.slice(i, i + 10).map((event, n) => ({
          Id: String(n),
          MessageBody: JSON.stringify(event),
          ...(fifo
            ? { MessageGroupId: event.partitionKey, MessageDeduplicationId: `${event.id}-${tag}` }
            : {}),
        })),
      }),
    );
    expect(Failed).toEqual([]);
  }
}

describe('fault: duplicate deliveries and producer retries', () => {
  it('direct mode: a producer retry and redeliveries past the dedup window of 20 events (FIFO hot path, standard cold path) apply nothing twice', async () => {
    const { outputs, reader, documentClient, tableName } = pipeline();
    const run = faultRunId('dup');
    const { inputs, customers } = orderInputs({ runId: run, events: 20, keys: 2 });
    const withIds: PublishInput[] = inputs.map((input, n) => ({ ...input, id: `${run}-e${n}` }));
    const router = () => routerFromOutputs(outputs, 'direct');
    const first = await new Publisher({ catalogue: ordersCatalogue, router: router() }).publish(
      withIds,
    );
    const sent = first.results.map((r) => r.envelope as Envelope);
    expect(first.sent).toBe(20);
    await waitUntil(
      '20 events processed and notified',
      async () => {
        const counts = await reader.count(customers);
        return {
          done: counts.processed >= 20 && counts.notified >= 20 ? true : undefined,
          state: JSON.stringify(counts),
        };
      },
      180_000,
    );
    const started = Date.now();

    // A producer that retries the whole call (a new publisher instance, same event ids): the
    // FIFO queue drops it within 5 minutes, the standard queue delivers it again.
    const retry = await new Publisher({ catalogue: ordersCatalogue, router: router() }).publish(
      withIds,
    );
    expect(retry.sent).toBe(20);
    // After SQS's window the same bodies are accepted again: deliver them twice more.
    await redeliver(outputs.OrdersQueueUrl as string, sent, true, 'after-window-1');
    await redeliver(outputs.OrdersQueueUrl as string, sent, true, 'after-window-2');
    await redeliver(outputs.NotificationsQueueUrl as string, sent, false, 'again');
    const duplicatesSent = retry.sent * 2 + sent.length * 3;
    let idleTwice = 0;
    await waitUntil(
      'both queues to drain',
      async () => {
        const idle =
          (await queueIdle(outputs.OrdersQueueUrl as string)) &&
          (await queueIdle(outputs.NotificationsQueueUrl as string));
        idleTwice = idle ? idleTwice + 1 : 0;
        return { done: idleTwice >= 2 ? true : undefined, state: idle ? 'idle' : 'busy' };
      },
      180_000,
      1_000,
    );
    const recoverySeconds = seconds(Date.now() - started);
    const tally = await tallyOrders(documentClient, tableName, sent);
    const sends = await notificationSends(customers);
    const notifyApplied = [...sends.values()].reduce((sum, n) => sum + n, 0);

    recordFault({
      scenario: 'duplicate-deliveries-direct',
      fault:
        'the reference pipeline (direct mode) gets 20 events, then a producer retry of the whole call and the same messages again twice on the FIFO queue (new deduplication ids, as after the 5-minute window) and once on the standard queue',
      sent: sent.length + duplicatesSent,
      processed: tally.processed + sends.size,
      effectsApplied: tally.effectsApplied + notifyApplied,
      duplicates: tally.duplicates + (notifyApplied - sends.size),
      lost: tally.lost + (sent.length - sends.size),
      inDlq: 0,
      expectedInDlq: 0,
      recoverySeconds,
      details: {
        events: sent.length,
        copiesSent: duplicatesSent,
        ordersApplied: tally.effectsApplied,
        notificationsApplied: notifyApplied,
      },
      notes:
        'Counts cover both workers (orders FIFO hot path and notifications standard cold path). recoverySeconds: from the first duplicate until both queues were empty.',
    });

    expect(tally).toMatchObject({ processed: 20, effectsApplied: 20, duplicates: 0, lost: 0 });
    expect([...sends.values()]).toEqual(Array.from({ length: 20 }, () => 1));
    const bySequence = new Map(sent.map((event) => [event.id, event.sequence]));
    for (const [key, effects] of tally.perKey) {
      expect(
        effects.applied.map((id) => bySequence.get(id)),
        `order of ${key}`,
      ).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    }
  });

  it('EventBridge mode: a producer retry of an applied event (numbered again by the publisher) is recognised and does not hold back the next event', async () => {
    const { outputs, reader, documentClient, tableName } = pipeline();
    const run = faultRunId('ebretry');
    const key = `${run}-c0`;
    const order = (n: number): PublishInput => ({
      id: `${run}-e${n}`,
      type: 'orders.created',
      data: { orderId: `${key}-o${n}`, customerId: key, amountCents: 100 + n, currency: 'EUR' },
    });
    const publisher = new Publisher({
      catalogue: ordersCatalogue,
      router: routerFromOutputs(outputs, 'eventbridge'),
    });
    const first = await publisher.publish([order(1), order(2)]);
    expect(first.sent).toBe(2);
    await waitUntil(
      'the first 2 events',
      async () => {
        const applied = (await keyEffects(documentClient, tableName, key)).applied.length;
        return { done: applied >= 2 ? true : undefined, state: `${applied} applied` };
      },
      120_000,
    );
    const started = Date.now();
    // The retry gets sequence 3 from the same publisher; the next event gets 4.
    const retried = await publisher.publish([order(1)]);
    const next = await publisher.publish([order(3)]);
    expect([retried.results[0]?.envelope?.sequence, next.results[0]?.envelope?.sequence]).toEqual([
      3, 4,
    ]);
    const effects = await waitUntil(
      'the event after the retry to be applied',
      async () => {
        const state = await keyEffects(documentClient, tableName, key);
        const notified = (await reader.notifications(key)).length;
        return {
          done: state.applied.length >= 3 && notified >= 3 ? state : undefined,
          state: `${state.applied.length} applied, ${state.parked} parked, ${notified} notified`,
        };
      },
      120_000,
    );
    const sends = await notificationSends([key]);
    const notifyApplied = [...sends.values()].reduce((sum, n) => sum + n, 0);

    recordFault({
      scenario: 'producer-retry-eventbridge',
      fault:
        'over EventBridge, a producer republishes an applied event (same id, new sequence from the publisher) and then publishes the next one',
      sent: 4,
      processed: effects.applied.length,
      effectsApplied: effects.ordinal,
      duplicates: effects.ordinal - effects.applied.length + (notifyApplied - sends.size),
      lost: 3 - effects.applied.length,
      inDlq: 0,
      expectedInDlq: 0,
      recoverySeconds: seconds(Date.now() - started),
      details: { parked: effects.parked, notificationsApplied: notifyApplied },
      notes: 'recoverySeconds: from the retry until the next event was applied.',
    });

    expect(effects.applied).toEqual([`${run}-e1`, `${run}-e2`, `${run}-e3`]);
    expect(effects.ordinal).toBe(3);
    expect(effects.parked).toBe(0);
    expect([...sends.values()]).toEqual([1, 1, 1]);
  });

  it('a producer retry 6 minutes later (simulated clock) is recognised; only after the 14-day retention would it apply again', async () => {
    const { outputs, documentClient, tableName } = pipeline();
    const clock = new ManualClock(Date.now());
    const startMs = clock.nowMs();
    const handler = createWorkerHandler({
      ...ordersWorkerOptions({
        client: new DynamoDBClient({}),
        resultsTableName: tableName,
        coordinationTableName: outputs.CoordinationTableName as string,
        clock,
      }),
      logger: new Logger({ serviceName: 'faults', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'test', serviceName: 'faults' }),
    });
    const run = faultRunId('clock');
    const key = `${run}-c0`;
    const event: Envelope = {
      id: `${run}-e1`,
      type: 'orders.created',
      source: 'lanes.faults',
      time: new Date(startMs).toISOString(),
      partitionKey: key,
      sequence: 1,
      data: { orderId: `${key}-o1`, customerId: key, amountCents: 500, currency: 'EUR' },
    };
    let delivery = 0;
    const deliver = async () => {
      delivery++;
      const record: SQSRecord = {
        messageId: `${run}-m${delivery}`,
        receiptHandle: `${run}-r${delivery}`,
        body: JSON.stringify(event),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(clock.nowMs()),
          SenderId: 'faults',
          ApproximateFirstReceiveTimestamp: String(clock.nowMs()),
          MessageGroupId: key,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:faults-clock.fifo',
        awsRegion: 'us-east-1',
      };
      const context = {
        functionName: 'faults',
        awsRequestId: record.messageId,
        getRemainingTimeInMillis: () => 10_000,
      } as Context;
      const response = await handler({ Records: [record] }, context);
      expect(response.batchItemFailures).toEqual([]);
      return (await keyEffects(documentClient, tableName, key)).ordinal;
    };

    const afterFirst = await deliver();
    clock.advance(6 * 60_000);
    const afterRetry = await deliver();
    // The documented limit, as a control: past the retention the record has expired.
    clock.set(startMs + DEFAULT_IDEMPOTENCY_RETENTION_SECONDS * 1000 + 1_000);
    const afterRetention = await deliver();

    recordFault({
      scenario: 'producer-retry-after-6-minutes',
      fault:
        "the same event delivered again 6 minutes later (past SQS's 5-minute deduplication), on a simulated clock, to the reference orders worker running in-process against LocalStack",
      sent: 2,
      processed: 1,
      effectsApplied: afterRetry,
      duplicates: afterRetry - 1,
      lost: 1 - afterFirst,
      inDlq: 0,
      expectedInDlq: 0,
      recoverySeconds: null,
      details: {
        retentionSeconds: DEFAULT_IDEMPOTENCY_RETENTION_SECONDS,
        appliedAgainAfterRetention: afterRetention - afterRetry,
      },
      notes:
        'Control, not counted above: the same delivery after the 14-day retention plus 1 s applies again, which shows the clock is what decides.',
    });

    expect([afterFirst, afterRetry, afterRetention]).toEqual([1, 1, 2]);
  });
});
