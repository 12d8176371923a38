import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Envelope } from '#shared/events/envelope.ts';
import type { OrderEventData } from '#shared/events/orders.ts';
import { CustomerOnHoldError } from './errors.ts';
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
}

/** Reads the few attributes we need from a raw (marshalled) item returned with a failed condition. */
function fromRawItem(item: Record<string, AttributeValue>): KeyState {
  return {
    ordinal: item.ordinal?.N !== undefined ? Number(item.ordinal.N) : undefined,
    lastEventId: item.lastEventId?.S,
    hold: item.hold?.S,
  };
}

/**
 * Counts the event on its key and returns its ordinal. Idempotent for a redelivered event: FIFO
 * processing gives a key one event at a time, so if `lastEventId` is this event the previous
 * attempt already counted it and its ordinal is reused instead of counting twice.
 */
async function nextOrdinal(event: Envelope<OrderEventData>, deps: OrdersDeps): Promise<number> {
  const Key = {
    [RESULTS_KEYS.PARTITION]: event.partitionKey,
    [RESULTS_KEYS.SORT]: RESULTS_KEYS.STATE_SK,
  };
  try {
    const { Attributes } = await deps.client.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key,
        UpdateExpression: 'SET #last = :id ADD #ordinal :one',
        ConditionExpression:
          'attribute_not_exists(#hold) AND (attribute_not_exists(#last) OR #last <> :id)',
        ExpressionAttributeNames: {
          '#last': 'lastEventId',
          '#ordinal': 'ordinal',
          '#hold': 'hold',
        },
        ExpressionAttributeValues: { ':id': event.id, ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return Number(Attributes?.ordinal);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const state: KeyState = error.Item
      ? fromRawItem(error.Item)
      : (((
          await deps.client.send(
            new GetCommand({ TableName: deps.tableName, Key, ConsistentRead: true }),
          )
        ).Item as KeyState | undefined) ?? {});
    if (state.hold !== undefined) {
      throw new CustomerOnHoldError(event.partitionKey, event.id, state.hold);
    }
    if (state.lastEventId === event.id && state.ordinal !== undefined) return state.ordinal;
    throw error;
  }
}

/**
 * Hot path: records one order event for its customer with the ordinal it got in the customer's
 * stream, so per-key processing order can be checked against the publisher's sequence.
 *
 * @throws CustomerOnHoldError (non-retryable) when the customer is on hold
 * @example
 * await recordOrderEvent(event, { client, tableName, now: () => new Date() });
 */
export async function recordOrderEvent(
  event: Envelope<OrderEventData>,
  delivery: string,
  deps: OrdersDeps,
): Promise<OrderResultItem> {
  const ordinal = await nextOrdinal(event, deps);
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
 * Cold path: stores the notification an order event triggers. Writing the same event twice
 * leaves one item (the key is the event id).
 */
export async function recordNotification(
  event: Envelope<OrderEventData>,
  deps: OrdersDeps,
): Promise<void> {
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

/** Puts a customer on hold: the orders worker rejects (dead-letters) their orders until released. */
export async function placeHold(
  customerId: string,
  reason: string,
  deps: Pick<OrdersDeps, 'client' | 'tableName'>,
): Promise<void> {
  await deps.client.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: { [RESULTS_KEYS.PARTITION]: customerId, [RESULTS_KEYS.SORT]: RESULTS_KEYS.STATE_SK },
      UpdateExpression: 'SET #hold = :reason',
      ExpressionAttributeNames: { '#hold': 'hold' },
      ExpressionAttributeValues: { ':reason': reason },
    }),
  );
}

/** Releases a customer's hold; dead-lettered orders can then be redriven. */
export async function releaseHold(
  customerId: string,
  deps: Pick<OrdersDeps, 'client' | 'tableName'>,
): Promise<void> {
  await deps.client.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: { [RESULTS_KEYS.PARTITION]: customerId, [RESULTS_KEYS.SORT]: RESULTS_KEYS.STATE_SK },
      UpdateExpression: 'REMOVE #hold',
      ExpressionAttributeNames: { '#hold': 'hold' },
    }),
  );
}
