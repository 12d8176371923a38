import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { CustomerOnHoldError } from './errors.ts';
import type { OrderEvent } from './order-events.ts';
import { type OrderResultItem, RESULTS_KEYS } from './results-table.ts';

export interface OrdersDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now: () => Date;
}

interface KeyState {
  readonly ordinal?: number;
  readonly lastEventId?: string;
  readonly hold?: string;
  /** Last sequence applied for the event's producer (resequenced events only). */
  readonly appliedSequence?: number;
}

/** Attribute of the STATE item holding the last sequence applied for one producer. */
const sequenceAttribute = (producer: string) => `seq#${producer}`;

/** Sort key of an event parked until the gap before it is filled. */
const parkedKey = (producer: string, sequence: number) =>
  `${RESULTS_KEYS.PARKED_PREFIX}${producer}#${String(sequence).padStart(12, '0')}`;

/** Reads the few attributes we need from a raw (marshalled) item returned with a failed condition. */
function fromRawItem(item: Record<string, AttributeValue>, seqAttribute?: string): KeyState {
  const seq = seqAttribute ? item[seqAttribute]?.N : undefined;
  return {
    ordinal: item.ordinal?.N !== undefined ? Number(item.ordinal.N) : undefined,
    lastEventId: item.lastEventId?.S,
    hold: item.hold?.S,
    appliedSequence: seq !== undefined ? Number(seq) : undefined,
  };
}

function fromItem(item: Record<string, unknown> | undefined, seqAttribute?: string): KeyState {
  if (!item) return {};
  return {
    ordinal: item.ordinal as number | undefined,
    lastEventId: item.lastEventId as string | undefined,
    hold: item.hold as string | undefined,
    appliedSequence: seqAttribute ? (item[seqAttribute] as number | undefined) : undefined,
  };
}

/** What applying an event to its key's state gave. */
type Applied =
  | { readonly kind: 'counted'; readonly ordinal: number }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'gap'; readonly expected: number };

/**
 * Counts the event on its key and returns its ordinal. Idempotent for a redelivered event: a key
 * gets one event at a time, so if `lastEventId` is this event the previous attempt already
 * counted it and its ordinal is reused instead of counting twice.
 *
 * With `resequence`, the event must also be the next of its producer's per-key sequence: an
 * older one is a duplicate, a newer one reports the gap (the caller parks it).
 */
async function applyToKey(
  event: OrderEvent,
  deps: OrdersDeps,
  resequence: boolean,
): Promise<Applied> {
  const Key = {
    [RESULTS_KEYS.PARTITION]: event.partitionKey,
    [RESULTS_KEYS.SORT]: RESULTS_KEYS.STATE_SK,
  };
  const producer = event.producer;
  const ordered = resequence && producer !== undefined;
  const seqAttribute = ordered ? sequenceAttribute(producer) : undefined;
  try {
    const { Attributes } = await deps.client.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key,
        UpdateExpression: `SET #last = :id${ordered ? ', #seq = :seq' : ''} ADD #ordinal :one`,
        ConditionExpression: [
          'attribute_not_exists(#hold) AND (attribute_not_exists(#last) OR #last <> :id)',
          ...(ordered
            ? [event.sequence <= 1 ? 'attribute_not_exists(#seq)' : '#seq = :previous']
            : []),
        ].join(' AND '),
        ExpressionAttributeNames: {
          '#last': 'lastEventId',
          '#ordinal': 'ordinal',
          '#hold': 'hold',
          ...(seqAttribute ? { '#seq': seqAttribute } : {}),
        },
        ExpressionAttributeValues: {
          ':id': event.id,
          ':one': 1,
          ...(ordered ? { ':seq': event.sequence } : {}),
          ...(ordered && event.sequence > 1 ? { ':previous': event.sequence - 1 } : {}),
        },
        ReturnValues: 'UPDATED_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'counted', ordinal: Number(Attributes?.ordinal) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const state: KeyState = error.Item
      ? fromRawItem(error.Item, seqAttribute)
      : fromItem(
          (
            await deps.client.send(
              new GetCommand({ TableName: deps.tableName, Key, ConsistentRead: true }),
            )
          ).Item,
          seqAttribute,
        );
    if (state.hold !== undefined) {
      throw new CustomerOnHoldError(event.partitionKey, event.id, state.hold);
    }
    if (state.lastEventId === event.id && state.ordinal !== undefined) {
      return { kind: 'counted', ordinal: state.ordinal };
    }
    if (ordered) {
      const applied = state.appliedSequence ?? 0;
      if (event.sequence <= applied) return { kind: 'duplicate' };
      return { kind: 'gap', expected: applied + 1 };
    }
    throw error;
  }
}

async function writeResult(
  event: OrderEvent,
  delivery: string,
  ordinal: number,
  deps: OrdersDeps,
): Promise<OrderResultItem> {
  const processedAt = deps.now();
  const item: OrderResultItem = {
    pk: event.partitionKey,
    sk: `${RESULTS_KEYS.EVENT_PREFIX}${event.id}`,
    eventId: event.id,
    eventType: event.type,
    orderId: event.data.orderId,
    sequence: event.sequence,
    ordinal,
    lane: event.lane ?? null,
    delivery,
    eventTime: event.time,
    processedAt: processedAt.toISOString(),
    latencyMs: processedAt.getTime() - Date.parse(event.time),
  };
  await deps.client.send(new PutCommand({ TableName: deps.tableName, Item: item }));
  return item;
}

/**
 * Hot path: records one order event for its customer with the ordinal it got in the customer's
 * stream, so per-key processing order can be checked against the publisher's sequence.
 *
 * Events that came over EventBridge are resequenced: EventBridge delivers each event on its own
 * and promises no order, so two events of a key can reach their lane's FIFO group swapped. An
 * event that arrives before its predecessor is parked in the table (`PARKED#...`) and applied
 * right after the predecessor, so a key's effects follow its publisher's sequence. A key whose
 * gap is never filled (an event that was never delivered, or sits in the DLQ) keeps its later
 * events parked: redrive the missing one to release them.
 *
 * @throws CustomerOnHoldError (non-retryable) when the customer is on hold
 * @example
 * await recordOrderEvent(event, 'direct', { client, tableName, now: () => new Date() });
 */
export async function recordOrderEvent(
  event: OrderEvent,
  delivery: string,
  deps: OrdersDeps,
): Promise<OrderResultItem | undefined> {
  const resequence = delivery === 'eventbridge' && event.producer !== undefined;
  const applied = await applyToKey(event, deps, resequence);
  if (applied.kind === 'duplicate') return undefined;
  if (applied.kind === 'gap') {
    await deps.client.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: {
          pk: event.partitionKey,
          sk: parkedKey(event.producer as string, event.sequence),
          envelope: JSON.stringify(event),
          delivery,
          waitingFor: applied.expected,
          parkedAt: deps.now().toISOString(),
        },
      }),
    );
    return undefined;
  }
  const item = await writeResult(event, delivery, applied.ordinal, deps);
  if (resequence) await drainParked(event, delivery, deps);
  return item;
}

/** Applies the parked successors of `event`, in sequence, until the next one is missing. */
async function drainParked(event: OrderEvent, delivery: string, deps: OrdersDeps): Promise<void> {
  const producer = event.producer as string;
  for (let next = event.sequence + 1; ; next++) {
    const Key = { pk: event.partitionKey, sk: parkedKey(producer, next) };
    const { Item } = await deps.client.send(
      new GetCommand({ TableName: deps.tableName, Key, ConsistentRead: true }),
    );
    if (!Item) return;
    const parked = JSON.parse(Item.envelope as string) as OrderEvent;
    const applied = await applyToKey(parked, deps, true);
    if (applied.kind === 'gap') return;
    if (applied.kind === 'counted') await writeResult(parked, delivery, applied.ordinal, deps);
    await deps.client.send(new DeleteCommand({ TableName: deps.tableName, Key }));
  }
}

/**
 * Cold path: stores the notification an order event triggers. Writing the same event twice
 * leaves one item (the key is the event id).
 */
export async function recordNotification(event: OrderEvent, deps: OrdersDeps): Promise<void> {
  const text =
    event.type === 'orders.created'
      ? `Thank you for order ${event.data.orderId}`
      : event.type === 'orders.paid'
        ? `Payment received for order ${event.data.orderId}`
        : `Order ${event.data.orderId} was cancelled`;
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        pk: event.partitionKey,
        sk: `${RESULTS_KEYS.NOTIFY_PREFIX}${event.id}`,
        eventId: event.id,
        channel: 'email',
        text,
        sentAt: deps.now().toISOString(),
      },
    }),
  );
}

/** Sets (`reason`) or removes (`undefined`) the hold on a customer's state item. */
async function updateHold(
  customerId: string,
  reason: string | undefined,
  deps: Pick<OrdersDeps, 'client' | 'tableName'>,
): Promise<void> {
  await deps.client.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: { [RESULTS_KEYS.PARTITION]: customerId, [RESULTS_KEYS.SORT]: RESULTS_KEYS.STATE_SK },
      UpdateExpression: reason === undefined ? 'REMOVE #hold' : 'SET #hold = :reason',
      ExpressionAttributeNames: { '#hold': 'hold' },
      ...(reason === undefined ? {} : { ExpressionAttributeValues: { ':reason': reason } }),
    }),
  );
}

/**
 * Puts a customer on hold: the orders worker rejects (dead-letters) their orders until released.
 *
 * @example
 * await placeHold('c42', 'card expired', { client, tableName });
 */
export function placeHold(
  customerId: string,
  reason: string,
  deps: Pick<OrdersDeps, 'client' | 'tableName'>,
): Promise<void> {
  return updateHold(customerId, reason, deps);
}

/**
 * Releases a customer's hold; dead-lettered orders can then be redriven.
 *
 * @example
 * await releaseHold('c42', { client, tableName });
 */
export function releaseHold(
  customerId: string,
  deps: Pick<OrdersDeps, 'client' | 'tableName'>,
): Promise<void> {
  return updateHold(customerId, undefined, deps);
}
