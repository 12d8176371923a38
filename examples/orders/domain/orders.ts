import {
  type AttributeValue,
  TransactionCanceledException,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { IdempotentEffectFailedError } from 'lanes/coordination';
import type { Commit, CommitRun, FollowingEvent } from 'lanes/runtime';
import { CustomerOnHoldError } from './errors.ts';
import type { OrderEvent } from './order-events.ts';
import { type OrderResultItem, RESULTS_KEYS } from './results-table.ts';

export interface OrdersDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now: () => Date;
  /**
   * Commits an effect together with the idempotency record of its event in one transaction: the
   * worker runtime's `context.commit` (option `transactional`).
   */
  readonly commit: Commit;
  /** The record's signal: aborted when the worker abandoned it. @default - never aborted */
  readonly signal?: AbortSignal;
  /**
   * Key states this process committed last, to skip the read before the next event of a key.
   * @default - none: every event reads its key's state
   */
  readonly states?: KeyStateCache;
  /**
   * The events after this one in its FIFO group in this batch, and the commit that applies a run
   * of them with this one (the runtime's `context.following` and `context.commitRun`).
   * @default - none: each event commits on its own
   */
  readonly following?: readonly FollowingEvent<OrderEvent>[];
  readonly commitRun?: CommitRun;
}

/** What the results table holds for a key, read before its next effect is built. */
interface KeyState {
  readonly ordinal: number | undefined;
  readonly hold: string | undefined;
  /** Last sequence applied for the event's producer (resequenced events only). */
  readonly appliedSequence: number | undefined;
}

/** A STATE item as last read or committed: the ordinal and every producer's last sequence. */
interface KnownState {
  readonly ordinal: number | undefined;
  readonly sequences: Readonly<Record<string, number>>;
}

/**
 * The state of each key as this process last committed it in the current invocation, so the
 * next event of the key needs no read first: a FIFO batch's events of one key come one after
 * another, so the consistent read before every commit mostly returns what the previous commit
 * wrote. Only within an invocation (`startInvocation`): a group's next batch may go to any of the
 * function's environments, so what an earlier invocation knew is mostly stale, and a commit that
 * fails on it costs more than the read it would save.
 *
 * Safe because every commit is conditional on the state it was computed from: when the key
 * moved elsewhere (another process, a hold placed), the commit fails and the event is read and
 * computed again. Knowledge can only lag behind: sequences and ordinals only grow, so a decision
 * that a lagging state could get wrong (parking an event as early) is taken on a fresh read.
 * A key with a hold is never kept (the hold may be lifted). Bounded: the oldest key goes first.
 *
 * @example
 * const states = new KeyStateCache();
 * await recordOrderEvent(event, 'direct', { client, tableName, now, commit, states });
 */
export class KeyStateCache {
  readonly #states = new Map<string, KnownState>();
  #invocation: string | undefined;

  public constructor(private readonly maxKeys = 10_000) {}

  /** Forgets every key when `invocationId` (the Lambda request id) is a new one. */
  public startInvocation(invocationId: string | undefined): void {
    if (invocationId === this.#invocation) return;
    this.#invocation = invocationId;
    this.#states.clear();
  }

  public get(partitionKey: string): KnownState | undefined {
    return this.#states.get(partitionKey);
  }

  public set(partitionKey: string, state: KnownState): void {
    this.#states.delete(partitionKey); // re-inserted last: the map's order is its age
    this.#states.set(partitionKey, state);
    if (this.#states.size > this.maxKeys) {
      const oldest = this.#states.keys().next().value;
      if (oldest !== undefined) this.#states.delete(oldest);
    }
  }

  public forget(partitionKey: string): void {
    this.#states.delete(partitionKey);
  }
}

/** Attribute of the STATE item holding the last sequence applied for one producer. */
const SEQUENCE_PREFIX = 'seq#';
const sequenceAttribute = (producer: string) => `${SEQUENCE_PREFIX}${producer}`;

/**
 * The producer whose sequence orders the event, when it is resequenced: EventBridge promises no
 * order, so an event it delivered goes by its producer's per-key sequence; a direct one by its
 * FIFO group.
 */
const resequencingProducer = (event: OrderEvent, delivery: string): string | undefined =>
  delivery === 'eventbridge' ? event.producer : undefined;

/** Sort key of an event parked until the gap before it is filled. */
const parkedKey = (producer: string, sequence: number) =>
  `${RESULTS_KEYS.PARKED_PREFIX}${producer}#${String(sequence).padStart(12, '0')}`;

/** Attempts when the key's state moves between the read and the commit. */
const MAX_STATE_ATTEMPTS = 8;

/** Events of one run: each brings its record and result item, and the run one state update (100 items). */
const MAX_RUN_EVENTS = 49;

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

async function readState(
  partitionKey: string,
  seqAttribute: string | undefined,
  deps: OrdersDeps,
): Promise<KeyState> {
  const { Item } = await deps.client.send(
    new GetCommand({
      TableName: deps.tableName,
      Key: { [RESULTS_KEYS.PARTITION]: partitionKey, [RESULTS_KEYS.SORT]: RESULTS_KEYS.STATE_SK },
      ConsistentRead: true,
    }),
    { abortSignal: deps.signal },
  );
  const hold = Item?.hold as string | undefined;
  const known: KnownState = {
    ordinal: Item?.ordinal as number | undefined,
    sequences: Object.fromEntries(
      Object.entries(Item ?? {}).filter(([name]) => name.startsWith(SEQUENCE_PREFIX)),
    ) as Record<string, number>,
  };
  if (hold === undefined) deps.states?.set(partitionKey, known);
  else deps.states?.forget(partitionKey);
  return stateFor(known, hold, seqAttribute);
}

/** The key's state as this process committed it last, if it knows it. */
function knownState(
  partitionKey: string,
  seqAttribute: string | undefined,
  deps: OrdersDeps,
): KeyState | undefined {
  const known = deps.states?.get(partitionKey);
  return known && stateFor(known, undefined, seqAttribute);
}

/** What an event of the key is computed from: its ordinal, hold and producer's sequence. */
function stateFor(
  known: KnownState,
  hold: string | undefined,
  seqAttribute: string | undefined,
): KeyState {
  return {
    ordinal: known.ordinal,
    hold,
    appliedSequence: seqAttribute ? known.sequences[seqAttribute] : undefined,
  };
}

/** Records what a successful commit wrote to the key's STATE item. */
function remember(
  partitionKey: string,
  ordinal: number | undefined,
  seqAttribute: string | undefined,
  sequence: number,
  deps: OrdersDeps,
): void {
  if (!deps.states) return;
  const before = deps.states.get(partitionKey);
  deps.states.set(partitionKey, {
    ordinal: ordinal ?? before?.ordinal,
    sequences: seqAttribute
      ? { ...before?.sequences, [seqAttribute]: sequence }
      : (before?.sequences ?? {}),
  });
}

/** `#attr = :value`, or absent when the read saw no value: the commit loses if the key moved. */
const unchanged = (name: string, placeholder: string, value: number | undefined) =>
  value === undefined ? `attribute_not_exists(${name})` : `${name} = ${placeholder}`;

/** The STATE update of one applied event, conditional on the state it was computed from. */
function stateUpdate(
  event: OrderEvent,
  state: KeyState,
  ordinal: number,
  seqAttribute: string | undefined,
  tableName: string,
): TransactWriteItem {
  const values: Record<string, AttributeValue> = { ':ordinal': N(ordinal), ':id': S(event.id) };
  if (state.ordinal !== undefined) values[':previous'] = N(state.ordinal);
  if (seqAttribute) {
    values[':seq'] = N(event.sequence);
    if (state.appliedSequence !== undefined) values[':applied'] = N(state.appliedSequence);
  }
  return {
    Update: {
      TableName: tableName,
      Key: {
        [RESULTS_KEYS.PARTITION]: S(event.partitionKey),
        [RESULTS_KEYS.SORT]: S(RESULTS_KEYS.STATE_SK),
      },
      UpdateExpression: `SET #ordinal = :ordinal, #last = :id${seqAttribute ? ', #seq = :seq' : ''}`,
      ConditionExpression: [
        unchanged('#ordinal', ':previous', state.ordinal),
        'attribute_not_exists(#hold)',
        ...(seqAttribute ? [unchanged('#seq', ':applied', state.appliedSequence)] : []),
      ].join(' AND '),
      ExpressionAttributeNames: {
        '#ordinal': 'ordinal',
        '#last': 'lastEventId',
        '#hold': 'hold',
        ...(seqAttribute ? { '#seq': seqAttribute } : {}),
      },
      ExpressionAttributeValues: values,
    },
  };
}

function resultItem(
  event: OrderEvent,
  delivery: string,
  ordinal: number,
  processedAt: Date,
): OrderResultItem {
  return {
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
}

function putResult(item: OrderResultItem, tableName: string): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: {
        pk: S(item.pk),
        sk: S(item.sk),
        eventId: S(item.eventId),
        eventType: S(item.eventType),
        orderId: S(item.orderId),
        sequence: N(item.sequence),
        ordinal: N(item.ordinal),
        lane: item.lane === null ? { NULL: true } : N(item.lane),
        delivery: S(item.delivery),
        eventTime: S(item.eventTime),
        processedAt: S(item.processedAt),
        latencyMs: N(item.latencyMs),
      },
    },
  };
}

type Applied =
  | { readonly kind: 'applied'; readonly item: OrderResultItem }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'parked' };

/**
 * Applies one event to its key exactly once: reads the key's state, then commits the counter
 * update (conditional on that state), the result item and the event's idempotency record in
 * one transaction. A redelivered, replayed or retried event is a duplicate whatever its position
 * in the key's stream: its idempotency record (kept 14 days) says so.
 *
 * With `seqAttribute` (resequenced events), the event must also be the next of its producer's
 * per-key sequence: an older one was applied already, a newer one is parked. `parked` is the
 * sort key of the parked copy being drained, deleted in the same transaction.
 */
async function applyOnce(
  event: OrderEvent,
  delivery: string,
  deps: OrdersDeps,
  seqAttribute: string | undefined,
  parked?: string,
): Promise<Applied> {
  for (let attempt = 1; ; attempt++) {
    // The first attempt may go on what this process committed last; a retry reads.
    const known = attempt === 1 ? knownState(event.partitionKey, seqAttribute, deps) : undefined;
    const state = known ?? (await readState(event.partitionKey, seqAttribute, deps));
    if (state.hold !== undefined) {
      throw new CustomerOnHoldError(event.partitionKey, event.id, state.hold);
    }
    if (seqAttribute) {
      const applied = state.appliedSequence ?? 0;
      if (event.sequence <= applied) {
        if (parked) await deleteParked(event.partitionKey, parked, deps);
        return { kind: 'duplicate' };
      }
      if (event.sequence > applied + 1) {
        // Known state may lag behind (its predecessor applied elsewhere): park on a fresh read only.
        if (known) continue;
        if (!parked) await park(event, delivery, applied + 1, deps);
        return { kind: 'parked' };
      }
    }
    if (!seqAttribute && !parked) {
      // Not resequenced: the key's next events in this batch can go with this one.
      const run = await applyRun(event, delivery, state, deps);
      if (run === 'moved') {
        // Computed from a state that moved (another process, a hold): read it and compute again.
        deps.states?.forget(event.partitionKey);
        if (attempt < MAX_STATE_ATTEMPTS) continue;
      } else if (run) {
        return run;
      }
    }
    const ordinal = (state.ordinal ?? 0) + 1;
    const item = resultItem(event, delivery, ordinal, deps.now());
    try {
      const { duplicate } = await deps.commit({
        result: { ordinal },
        key: event.id,
        payload: event.data,
        effect: [
          stateUpdate(event, state, ordinal, seqAttribute, deps.tableName),
          putResult(item, deps.tableName),
          ...(parked ? [deleteParkedItem(event.partitionKey, parked, deps.tableName)] : []),
        ],
      });
      if (!duplicate) {
        remember(event.partitionKey, ordinal, seqAttribute, event.sequence, deps);
        return { kind: 'applied', item };
      }
      // Applied before under another sequence (a producer retried it and numbered it again):
      // take up its slot, or the key's later events would wait for it forever.
      if (seqAttribute) {
        if (!(await skipSequence(event, state, seqAttribute, parked, deps))) continue;
        remember(event.partitionKey, undefined, seqAttribute, event.sequence, deps);
      }
      return { kind: 'duplicate' };
    } catch (error) {
      // The key moved between the read and the commit (or a hold was placed): read again.
      deps.states?.forget(event.partitionKey);
      if (error instanceof IdempotentEffectFailedError && attempt < MAX_STATE_ATTEMPTS) continue;
      throw error;
    }
  }
}

/** An event of a run, with how it came. */
interface RunEvent {
  readonly event: OrderEvent;
  readonly delivery: string;
}

/**
 * The event and the next events of its key in this batch that are not resequenced either: they
 * are applied in their FIFO order, so their ordinals follow from the state one after another.
 * Events of other keys in between (a lane carries several) do not matter to this key's order.
 */
function runOf(event: OrderEvent, delivery: string, deps: OrdersDeps): RunEvent[] {
  const run: RunEvent[] = [{ event, delivery }];
  for (const next of deps.following ?? []) {
    if (next.event.partitionKey !== event.partitionKey) continue;
    if (resequencingProducer(next.event, next.delivery) !== undefined) break;
    if (run.length === MAX_RUN_EVENTS) break;
    run.push(next);
  }
  return run;
}

/**
 * Applies the event and the next events of its key in this batch in one transaction: one state
 * update from the state read (or known) to the run's last ordinal, a result item and an
 * idempotency record per event. When it was not applied, nothing was written: `moved` when the
 * state it was computed from moved, undefined when there is no run or a duplicate was among
 * them (the event then goes on alone, and its record tells).
 */
async function applyRun(
  event: OrderEvent,
  delivery: string,
  state: KeyState,
  deps: OrdersDeps,
): Promise<Applied | 'moved' | undefined> {
  const run = runOf(event, delivery, deps);
  if (run.length < 2 || !deps.commitRun) return undefined;
  const first = (state.ordinal ?? 0) + 1;
  const last = first + run.length - 1;
  const processedAt = deps.now();
  // Each item says how its own event came (a follower may have come another way).
  const items = run.map((next, i) => resultItem(next.event, next.delivery, first + i, processedAt));
  const lastEvent = (run.at(-1) as RunEvent).event;
  const outcome = await deps.commitRun(
    items.map((item, i) => ({
      event: (run[i] as RunEvent).event,
      result: { ordinal: item.ordinal },
      effect: [
        ...(i === 0 ? [stateUpdate(lastEvent, state, last, undefined, deps.tableName)] : []),
        putResult(item, deps.tableName),
      ],
    })),
  );
  if (!outcome.applied) return outcome.duplicates.length > 0 ? undefined : 'moved';
  remember(event.partitionKey, last, undefined, event.sequence, deps);
  return { kind: 'applied', item: items[0] as OrderResultItem };
}

/** Marks a duplicate's sequence as done; false when the state moved first (read again). */
async function skipSequence(
  event: OrderEvent,
  state: KeyState,
  seqAttribute: string,
  parked: string | undefined,
  deps: OrdersDeps,
): Promise<boolean> {
  const advance = {
    Update: {
      TableName: deps.tableName,
      Key: {
        [RESULTS_KEYS.PARTITION]: event.partitionKey,
        [RESULTS_KEYS.SORT]: RESULTS_KEYS.STATE_SK,
      },
      UpdateExpression: 'SET #seq = :seq',
      ConditionExpression: unchanged('#seq', ':applied', state.appliedSequence),
      ExpressionAttributeNames: { '#seq': seqAttribute },
      ExpressionAttributeValues: {
        ':seq': event.sequence,
        ...(state.appliedSequence !== undefined ? { ':applied': state.appliedSequence } : {}),
      },
    },
  };
  const remove = parked
    ? [
        {
          Delete: {
            TableName: deps.tableName,
            Key: { [RESULTS_KEYS.PARTITION]: event.partitionKey, [RESULTS_KEYS.SORT]: parked },
          },
        },
      ]
    : [];
  try {
    // Together: a parked copy deleted without its slot taken would hold the key back.
    await deps.client.send(new TransactWriteCommand({ TransactItems: [advance, ...remove] }), {
      abortSignal: deps.signal,
    });
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException) return false;
    throw error;
  }
}

function deleteParkedItem(partitionKey: string, sk: string, tableName: string): TransactWriteItem {
  return {
    Delete: {
      TableName: tableName,
      Key: { [RESULTS_KEYS.PARTITION]: S(partitionKey), [RESULTS_KEYS.SORT]: S(sk) },
    },
  };
}

async function deleteParked(partitionKey: string, sk: string, deps: OrdersDeps): Promise<void> {
  await deps.client.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Delete: {
            TableName: deps.tableName,
            Key: { [RESULTS_KEYS.PARTITION]: partitionKey, [RESULTS_KEYS.SORT]: sk },
          },
        },
      ],
    }),
    { abortSignal: deps.signal },
  );
}

async function park(
  event: OrderEvent,
  delivery: string,
  waitingFor: number,
  deps: OrdersDeps,
): Promise<void> {
  // Parking is not the effect: a copy parked twice is the same item.
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        pk: event.partitionKey,
        sk: parkedKey(event.producer as string, event.sequence),
        envelope: JSON.stringify(event),
        delivery,
        waitingFor,
        parkedAt: deps.now().toISOString(),
      },
    }),
    { abortSignal: deps.signal },
  );
}

/**
 * Hot path: records one order event for its customer, exactly once, with the ordinal it got in
 * the customer's stream, so per-key processing order can be checked against the publisher's
 * sequence. The counter, the result item and the event's idempotency record commit together.
 * With `following` and `commitRun`, the key's next direct events in the batch commit with this
 * one: one counter update, and a result item and an idempotency record each.
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
 * await recordOrderEvent(event, 'direct', { client, tableName, now: () => new Date(), commit });
 */
export async function recordOrderEvent(
  event: OrderEvent,
  delivery: string,
  deps: OrdersDeps,
): Promise<OrderResultItem | undefined> {
  const producer = resequencingProducer(event, delivery);
  const seqAttribute = producer !== undefined ? sequenceAttribute(producer) : undefined;
  const applied = await applyOnce(event, delivery, deps, seqAttribute);
  // After a duplicate too: a crash may have come between applying an event and draining.
  if (producer !== undefined && applied.kind !== 'parked') {
    await drainParked(event, producer, deps);
  }
  return applied.kind === 'applied' ? applied.item : undefined;
}

/** Applies the parked successors of the key's last applied event, until the next one is missing. */
async function drainParked(event: OrderEvent, producer: string, deps: OrdersDeps): Promise<void> {
  const seqAttribute = sequenceAttribute(producer);
  for (;;) {
    const state = await readState(event.partitionKey, seqAttribute, deps);
    const sk = parkedKey(producer, (state.appliedSequence ?? 0) + 1);
    const { Item } = await deps.client.send(
      new GetCommand({
        TableName: deps.tableName,
        Key: { [RESULTS_KEYS.PARTITION]: event.partitionKey, [RESULTS_KEYS.SORT]: sk },
        ConsistentRead: true,
      }),
      { abortSignal: deps.signal },
    );
    if (!Item) return;
    const parked = JSON.parse(Item.envelope as string) as OrderEvent;
    const applied = await applyOnce(parked, Item.delivery as string, deps, seqAttribute, sk);
    if (applied.kind === 'parked') return;
  }
}

/** What the notifications worker needs: the table and the runtime's transactional commit. */
export type NotificationDeps = Pick<OrdersDeps, 'tableName' | 'now' | 'commit'>;

/**
 * Cold path: stores the notification an order event triggers, exactly once: the notification
 * and the event's idempotency record commit together. `sends` counts how often the effect was
 * applied (1; the fault suite checks it).
 *
 * @example
 * await recordNotification(event, { tableName, now: () => new Date(), commit });
 */
export async function recordNotification(event: OrderEvent, deps: NotificationDeps): Promise<void> {
  const text =
    event.type === 'orders.created'
      ? `Thank you for order ${event.data.orderId}`
      : event.type === 'orders.paid'
        ? `Payment received for order ${event.data.orderId}`
        : `Order ${event.data.orderId} was cancelled`;
  await deps.commit({
    effect: [
      {
        Update: {
          TableName: deps.tableName,
          Key: {
            [RESULTS_KEYS.PARTITION]: S(event.partitionKey),
            [RESULTS_KEYS.SORT]: S(`${RESULTS_KEYS.NOTIFY_PREFIX}${event.id}`),
          },
          UpdateExpression:
            'SET #eventId = :id, #channel = :channel, #text = :text, #sentAt = :sentAt ADD #sends :one',
          ExpressionAttributeNames: {
            '#eventId': 'eventId',
            '#channel': 'channel',
            '#text': 'text',
            '#sentAt': 'sentAt',
            '#sends': 'sends',
          },
          ExpressionAttributeValues: {
            ':id': S(event.id),
            ':channel': S('email'),
            ':text': S(text),
            ':sentAt': S(deps.now().toISOString()),
            ':one': N(1),
          },
        },
      },
    ],
  });
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
