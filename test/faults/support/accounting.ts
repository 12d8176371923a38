import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { RESULTS_KEYS } from '#orders/domain/results-table.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import { SEEN_PREFIX } from './markers.ts';

/** What one key of the results table shows after a run. */
export interface KeyEffects {
  /** The STATE counter: incremented once per application of an order event's effect. */
  readonly ordinal: number;
  /** Event ids with a result item, in ordinal order. */
  readonly applied: readonly string[];
  /** Ordinals of those items, in order (1..n when each event was applied once, in order). */
  readonly ordinals: readonly number[];
  /** Deliveries the fault worker was handed, per event id (fault stack only). */
  readonly deliveries: ReadonlyMap<string, number>;
  /** SQS receive count of the last delivery the fault worker was handed, per event id. */
  readonly receives: ReadonlyMap<string, number>;
  /** Events still parked for a missing predecessor. */
  readonly parked: number;
}

/** Reads every item of one key of a results table (STATE, EVENT#, SEEN#, PARKED#). */
export async function keyEffects(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: string,
): Promise<KeyEffects> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': RESULTS_KEYS.PARTITION },
        ExpressionAttributeValues: { ':pk': key },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start);
  const sk = (item: Record<string, unknown>) => String(item[RESULTS_KEYS.SORT]);
  const state = items.find((item) => sk(item) === RESULTS_KEYS.STATE_SK);
  const events = items
    .filter((item) => sk(item).startsWith(RESULTS_KEYS.EVENT_PREFIX))
    .sort((a, b) => Number(a.ordinal) - Number(b.ordinal));
  const deliveries = new Map<string, number>();
  const receives = new Map<string, number>();
  for (const item of items.filter((i) => sk(i).startsWith(SEEN_PREFIX))) {
    const eventId = sk(item).slice(SEEN_PREFIX.length);
    deliveries.set(eventId, Number(item.deliveries ?? 0));
    receives.set(eventId, Number(item.lastReceiveCount ?? 0));
  }
  return {
    ordinal: Number(state?.ordinal ?? 0),
    applied: events.map((item) => String(item.eventId)),
    ordinals: events.map((item) => Number(item.ordinal)),
    deliveries,
    receives,
    parked: items.filter((item) => sk(item).startsWith(RESULTS_KEYS.PARKED_PREFIX)).length,
  };
}

/** The figures the suite records, for order events sent to a worker with the orders effect. */
export interface Tally {
  readonly sent: number;
  readonly processed: number;
  readonly effectsApplied: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly inDlq: number;
  /** Deliveries handed to the fault worker (redeliveries included). */
  readonly deliveries: number;
  readonly perKey: ReadonlyMap<string, KeyEffects>;
}

/**
 * Counts what happened to `sent`: applied (result items), applied how often (STATE counters),
 * dead-lettered (`deadLettered` event ids), lost (neither).
 */
export async function tallyOrders(
  client: DynamoDBDocumentClient,
  tableName: string,
  sent: readonly Envelope[],
  deadLettered: readonly string[] = [],
): Promise<Tally> {
  const keys = [...new Set(sent.map((event) => event.partitionKey))];
  const perKey = new Map<string, KeyEffects>();
  for (const key of keys) perKey.set(key, await keyEffects(client, tableName, key));
  const sentIds = new Set(sent.map((event) => event.id));
  const applied = new Set([...perKey.values()].flatMap((k) => k.applied));
  const dead = new Set(deadLettered.filter((id) => sentIds.has(id)));
  const processed = [...sentIds].filter((id) => applied.has(id)).length;
  const effectsApplied = [...perKey.values()].reduce((sum, k) => sum + k.ordinal, 0);
  return {
    sent: sentIds.size,
    processed,
    effectsApplied,
    duplicates: effectsApplied - processed,
    lost: [...sentIds].filter((id) => !applied.has(id) && !dead.has(id)).length,
    inDlq: dead.size,
    deliveries: [...perKey.values()].reduce(
      (sum, k) => sum + [...k.deliveries.values()].reduce((a, b) => a + b, 0),
      0,
    ),
    perKey,
  };
}

/** A message taken off a dead-letter queue: the event it carries and the reason, if recorded. */
export interface DeadLetter {
  readonly eventId: string;
  readonly partitionKey: string;
  /** `lanes.errorName` when the worker dead-lettered it; undefined when SQS's redrive did. */
  readonly errorName: string | undefined;
}

/**
 * Takes this run's messages off dead-letter queues (deleting them, so the next scenario starts
 * clean) and returns what they carry; other messages are left for their own scenario.
 */
export async function drainDeadLetters(
  sqs: SQSClient,
  queueUrls: readonly string[],
  belongs: (envelope: Envelope) => boolean,
): Promise<DeadLetter[]> {
  const found: DeadLetter[] = [];
  for (const queueUrl of queueUrls) {
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 30,
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) {
        empty++;
        continue;
      }
      const mine: Message[] = [];
      const others: Message[] = [];
      for (const message of Messages) {
        const envelope = JSON.parse(message.Body ?? '{}') as Envelope;
        if (!belongs(envelope)) {
          others.push(message);
          continue;
        }
        mine.push(message);
        found.push({
          eventId: envelope.id,
          partitionKey: envelope.partitionKey,
          errorName: message.MessageAttributes?.['lanes.errorName']?.StringValue,
        });
      }
      const entries = (messages: Message[]) =>
        messages.map((message, i) => ({
          Id: String(i),
          ReceiptHandle: message.ReceiptHandle as string,
        }));
      if (mine.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(mine) }),
        );
      }
      if (others.length > 0) {
        // Not this run's: visible again at once for the scenario they belong to.
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries(others).map((entry) => ({ ...entry, VisibilityTimeout: 0 })),
          }),
        );
        empty++;
      }
    }
  }
  return found;
}
