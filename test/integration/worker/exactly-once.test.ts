import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createWorkerHandler, type WorkerOptions } from '#functions/worker-handler.ts';
import { placeHold } from '#orders/domain/orders.ts';
import { RESULTS_KEYS } from '#orders/domain/results-table.ts';
import { notificationsWorkerOptions, ordersWorkerOptions } from '#orders/domain/workers.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import { countRequests } from '#test/integration/coordination/support/request-counter.ts';
import { PIPELINE } from '#test/integration/ingress/support.ts';
import { stackOutputs } from '#test/integration/support/outputs.ts';

/**
 * The reference workers' effects, in-process against the deployed pipeline's tables: every
 * redelivery is recognised by the event's idempotency record, not only the key's last event
 * (a FIFO batch carries up to 10 events of one key), and the EventBridge resequencer recognises
 * an applied event whatever sequence a producer's retry gave it.
 */
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const outputs = stackOutputs(PIPELINE);
const tableName = outputs.ResultsTableName as string;
const client = new DynamoDBClient({});
const requests = countRequests(client);
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const deps = {
  client,
  resultsTableName: tableName,
  coordinationTableName: outputs.CoordinationTableName as string,
};
const quiet = {
  logger: new Logger({ serviceName: 'exactly-once', logLevel: 'SILENT' }),
  metrics: new Metrics({ namespace: 'test', serviceName: 'exactly-once' }),
};
const run = `eo-${Date.now().toString(36)}`;
let messages = 0;

function envelope(key: string, n: number, sequence = n, producer?: string): Envelope {
  return {
    id: `${key}-e${n}`,
    type: 'orders.created',
    source: 'lanes.test',
    time: new Date().toISOString(),
    partitionKey: key,
    sequence,
    ...(producer ? { producer } : {}),
    data: { orderId: `${key}-o${n}`, customerId: key, amountCents: 100 + n, currency: 'EUR' },
  };
}

/** An SQS record as the event source mapping hands it over, direct or from an EventBridge rule. */
function record(
  event: Envelope,
  via: 'direct' | 'eventbridge',
  queue: 'fifo' | 'standard' = 'fifo',
): SQSRecord {
  messages++;
  const body =
    via === 'direct'
      ? event
      : { version: '0', 'detail-type': event.type, source: event.source, detail: event };
  return {
    messageId: `${run}-m${messages}`,
    receiptHandle: `${run}-r${messages}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...(queue === 'fifo' ? { MessageGroupId: event.partitionKey } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:exactly-once${queue === 'fifo' ? '.fifo' : ''}`,
    awsRegion: 'us-east-1',
  };
}

const context = {
  functionName: 'exactly-once',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 30_000,
} as Context;

function handler(options: WorkerOptions) {
  const handle = createWorkerHandler({ ...options, ...quiet });
  return async (records: SQSRecord[]) => {
    const response = await handle({ Records: records }, context);
    expect(response.batchItemFailures).toEqual([]);
  };
}

/** A worker whose dead letters are collected instead of sent: what it rejected, in order. */
function deadLettering(options: WorkerOptions) {
  const letters: Error[] = [];
  const handle = createWorkerHandler({
    ...options,
    ...quiet,
    deadLetter: { send: async (_record, error) => void letters.push(error) },
  });
  return { letters, deliver: (records: SQSRecord[]) => handle({ Records: records }, context) };
}

async function items(key: string): Promise<Record<string, unknown>[]> {
  const out = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': key },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []) as Record<string, unknown>[];
}

async function orderState(key: string) {
  const all = await items(key);
  const events = all
    .filter((item) => String(item.sk).startsWith(RESULTS_KEYS.EVENT_PREFIX))
    .sort((a, b) => Number(a.ordinal) - Number(b.ordinal));
  return {
    ordinal: Number(all.find((item) => item.sk === RESULTS_KEYS.STATE_SK)?.ordinal ?? 0),
    applied: events.map((item) => String(item.eventId)),
    parked: all.filter((item) => String(item.sk).startsWith(RESULTS_KEYS.PARKED_PREFIX)).length,
  };
}

describe('exactly-once effects of the reference workers', () => {
  it('orders, direct: a FIFO batch of one key commits as one run; delivered again (after a crash) it applies nothing twice', async () => {
    const orders = handler(ordersWorkerOptions(deps));
    const key = `${run}-direct`;
    const batch = [1, 2, 3, 4, 5].map((n) => envelope(key, n));

    requests.reset();
    await orders(batch.map((event) => record(event, 'direct')));
    const firstRequests = requests.total();
    requests.reset();
    await orders(batch.map((event) => record(event, 'direct')));
    const duplicateRequests = requests.total();

    expect(await orderState(key)).toEqual({
      ordinal: 5,
      applied: batch.map((event) => event.id),
      parked: 0,
    });
    // One consistent read of the key's state, then one transaction for the whole run: the state
    // update, five result items and five records.
    expect(firstRequests).toBe(2);
    // Again: the run fails on the first record (nothing written), then each event alone finds
    // its record; the invocation tries no second run.
    expect(duplicateRequests).toBe(batch.length + 1);
    expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(batch.length + 1);
    console.info(
      `orders effect: ${firstRequests / batch.length} requests per event, ${duplicateRequests / batch.length} per duplicate`,
    );
  });

  it('orders: a run keeps how each of its events came (direct, or EventBridge without a producer to resequence by)', async () => {
    const orders = handler(ordersWorkerOptions(deps));
    const key = `${run}-mixed`;
    const [e1, e2] = [envelope(key, 1), envelope(key, 2)];

    requests.reset();
    await orders([record(e1, 'direct'), record(e2, 'eventbridge')]);

    // Not resequenced either, so it went with the run: one transaction for both.
    expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(1);
    const results = (await items(key))
      .filter((item) => String(item.sk).startsWith(RESULTS_KEYS.EVENT_PREFIX))
      .map((item) => [item.eventId, item.delivery]);
    expect(results.sort()).toEqual([
      [e1.id, 'direct'],
      [e2.id, 'eventbridge'],
    ]);
  });

  it('orders, direct: a lane with two keys runs each key on its own, stops a run at an invalid record, and keeps each key in order', async () => {
    const { deliver, letters } = deadLettering(ordersWorkerOptions(deps));
    const [a, b] = [`${run}-lane-a`, `${run}-lane-b`];
    const [a1, b1, a2, b2, a3] = [
      envelope(a, 1),
      envelope(b, 1),
      envelope(a, 2),
      envelope(b, 2),
      envelope(a, 3),
    ];
    const invalid = { ...envelope(a, 9), data: { orderId: `${a}-o9`, customerId: a } };
    const records = [a1, b1, a2, invalid, b2, a3].map((event) =>
      record(event as Envelope, 'direct'),
    );
    for (const r of records) r.attributes.MessageGroupId = `${run}-lane`;

    requests.reset();
    const response = await deliver(records);

    expect(response.batchItemFailures).toEqual([]);
    expect(letters.map((error) => error.message)).toEqual([expect.stringMatching(/amountCents/)]);
    expect(await orderState(a)).toEqual({
      ordinal: 3,
      applied: [a1, a2, a3].map((e) => e.id),
      parked: 0,
    });
    expect(await orderState(b)).toEqual({
      ordinal: 2,
      applied: [b1, b2].map((e) => e.id),
      parked: 0,
    });
    // a1 with a2 (the run stops at the invalid record); b1, b2 and a3 have nothing after them.
    expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(4);
  });

  it('orders: a process whose known state is stale (another applied the key meanwhile, or a hold was placed) reads again and applies in order', async () => {
    const { deliver: processA, letters } = deadLettering(ordersWorkerOptions(deps));
    const processB = handler(ordersWorkerOptions(deps));
    const key = `${run}-stale`;
    const [e1, e2, e3, e4] = [1, 2, 3, 4].map((n) => envelope(key, n)) as [
      Envelope,
      Envelope,
      Envelope,
      Envelope,
    ];

    await processA([record(e1, 'direct')]); // A knows ordinal 1
    await processB([record(e2, 'direct')]); // the group moved to B: ordinal 2
    requests.reset();
    await processA([record(e3, 'direct')]); // A's ordinal 1 is stale
    // The commit on the stale state lost, then a read and the commit on the fresh state.
    expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(2);
    expect(requests.byCommand.get('GetItemCommand')).toBe(1);
    expect(await orderState(key)).toEqual({
      ordinal: 3,
      applied: [e1.id, e2.id, e3.id],
      parked: 0,
    });

    await placeHold(key, 'fraud review', { client: documents, tableName });
    await processA([record(e4, 'direct')]); // A knows ordinal 3, no hold
    expect(letters.map((error) => error.name)).toEqual(['CustomerOnHoldError']);
    expect((await orderState(key)).ordinal).toBe(3);
  });

  it('orders: a run computed from a stale state is computed again from a fresh read; a hold dead-letters every event of the run', async () => {
    const { deliver: processA, letters } = deadLettering(ordersWorkerOptions(deps));
    const processB = handler(ordersWorkerOptions(deps));
    const key = `${run}-stale-run`;
    const e = (n: number) => envelope(key, n);

    await processA([record(e(1), 'direct')]); // A knows ordinal 1
    await processB([record(e(2), 'direct')]); // B moved the key to ordinal 2
    requests.reset();
    const response = await processA([3, 4, 5].map((n) => record(e(n), 'direct')));
    expect(response.batchItemFailures).toEqual([]);
    // The run on ordinal 1 lost, then a read and the run on ordinal 2.
    expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(2);
    expect(requests.byCommand.get('GetItemCommand')).toBe(1);
    expect(await orderState(key)).toEqual({
      ordinal: 5,
      applied: [1, 2, 3, 4, 5].map((n) => e(n).id),
      parked: 0,
    });

    await placeHold(key, 'fraud review', { client: documents, tableName });
    await processA([6, 7].map((n) => record(e(n), 'direct'))); // A knows 5, no hold
    expect(letters.map((error) => error.name)).toEqual([
      'CustomerOnHoldError',
      'CustomerOnHoldError',
    ]);
    expect((await orderState(key)).ordinal).toBe(5);
  });

  it('orders, EventBridge: out-of-order events are resequenced; redeliveries and a retry with a new sequence are recognised', async () => {
    const orders = handler(ordersWorkerOptions(deps));
    const key = `${run}-eb`;
    const producer = `${run}-p`;
    const [e1, e2, e3] = [1, 2, 3].map((n) => envelope(key, n, n, producer)) as [
      Envelope,
      Envelope,
      Envelope,
    ];

    await orders([record(e1, 'eventbridge')]);
    await orders([record(e3, 'eventbridge')]); // parked: 2 is missing
    const whileParked = await orderState(key);
    await orders([record(e2, 'eventbridge')]); // applies 2, then the parked 3
    // Redeliveries of events that are not the key's last one, and a producer retry of e1 that
    // its publisher numbered 4, then the real next event, 5.
    await orders([record(e1, 'eventbridge'), record(e2, 'eventbridge')]);
    await orders([record({ ...e1, sequence: 4 }, 'eventbridge')]);
    const e5 = envelope(key, 5, 5, producer);
    await orders([record(e5, 'eventbridge')]);

    expect(whileParked).toEqual({ ordinal: 1, applied: [e1.id], parked: 1 });
    expect(await orderState(key)).toEqual({
      ordinal: 4,
      applied: [e1.id, e2.id, e3.id, e5.id],
      parked: 0,
    });
  });

  it('orders: the same event id with different data is dead-lettered as a payload mismatch, not applied', async () => {
    const { deliver: orders, letters } = deadLettering(ordersWorkerOptions(deps));
    const key = `${run}-mismatch`;
    const original = envelope(key, 1);
    await orders([record(original, 'direct')]);
    await orders([
      record({ ...original, data: { ...(original.data as object), amountCents: 999 } }, 'direct'),
    ]);

    expect((await orderState(key)).ordinal).toBe(1);
    expect(letters.map((error) => error.name)).toEqual(['IdempotencyPayloadMismatchError']);
  });

  it('notifications, standard queue: a batch commits in one transaction; redelivered, it sends nothing twice', async () => {
    const notifications = handler(notificationsWorkerOptions(deps));
    const key = `${run}-notify-standard`;
    const events = Array.from({ length: 10 }, (_, n) => envelope(key, n + 1));

    requests.reset();
    await notifications(events.map((event) => record(event, 'direct', 'standard')));
    expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(1);
    await notifications(events.map((event) => record(event, 'direct', 'standard')));

    const sends = (await items(key))
      .filter((item) => String(item.sk).startsWith(RESULTS_KEYS.NOTIFY_PREFIX))
      .map((item) => Number(item.sends));
    expect(sends).toEqual(events.map(() => 1));
  });

  it('notifications: a redelivered event sends nothing twice', async () => {
    const notifications = handler(notificationsWorkerOptions(deps));
    const key = `${run}-notify`;
    const events = [1, 2, 3].map((n) => envelope(key, n));

    await notifications(events.map((event) => record(event, 'direct')));
    await notifications(events.map((event) => record(event, 'direct')));

    const sends = (await items(key))
      .filter((item) => String(item.sk).startsWith(RESULTS_KEYS.NOTIFY_PREFIX))
      .map((item) => Number(item.sends));
    expect(sends).toEqual([1, 1, 1]);
  });
});
