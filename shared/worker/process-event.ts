import type { Logger } from '@aws-lambda-powertools/logger';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import type {
  RunAllOutcome,
  TransactionalOutcome,
} from '../coordination/transactional-idempotency.ts';
import type { Envelope } from '../events/envelope.ts';
import type { Delivery } from './decode.ts';

/*
 * The contract between the worker runtime and the business function: what a record handler is
 * given and what it returns. The handler factories (`lanes/runtime`) implement it; library parts
 * that build record handlers (the workflow step processor) use it without the factories.
 */

/** One transactional commit: the effect and the idempotency record of its key, all or nothing. */
export interface CommitRequest<R> {
  /** Up to 99 TransactWriteItems (the idempotency record takes the 100th). */
  readonly effect: readonly TransactWriteItem[];
  /** Stored with the record and returned to duplicates. @default null */
  readonly result?: R;
  /** Idempotency key. @default the event's id */
  readonly key?: string;
  /** Payload whose hash must match for a duplicate. @default the event's `data` */
  readonly payload?: unknown;
}

/** Commits an effect exactly once per key (see {@link WorkerOptions.transactional}). */
export type Commit = <R = null>(request: CommitRequest<R>) => Promise<TransactionalOutcome<R>>;

/**
 * A valid event that comes after the current one in its FIFO message group, in the same batch:
 * what a run of a key's events can be computed from before it is committed together.
 */
export interface FollowingEvent<TEvent extends Envelope = Envelope> {
  readonly event: TEvent;
  readonly delivery: Delivery;
}

/** One event's part of a run commit: its effect, and which event it is. */
export interface RunCommitRequest<R = unknown> extends CommitRequest<R> {
  /**
   * The event this part commits: the record's own event, or one of `following` (each once).
   * `key` and `payload` default to its id and data.
   * @default the record's own event
   */
  readonly event?: Envelope;
}

/**
 * Commits the record's event and some of the events that follow it in its group in one
 * transaction, each with its own idempotency record (see {@link RecordContext.commitRun}).
 *
 * @example
 * processEvent: async (event, { following, commitRun, commit }) => {
 *   const run = [event, ...following.map((next) => next.event).filter((e) => e.partitionKey === event.partitionKey)];
 *   const { applied } = await commitRun(run.map((e, i) => ({
 *     event: e,
 *     effect: [putOrder(e), ...(i === 0 ? [addToBalance(event.partitionKey, sumOf(run))] : [])],
 *   })));
 *   if (!applied) await commit({ effect: [putOrder(event), addToBalance(event.partitionKey, event.data.amount)] });
 * }
 */
export type CommitRun = (requests: readonly RunCommitRequest[]) => Promise<RunAllOutcome>;

/** What a record handler gets besides the event. */
export interface RecordContext<TEvent extends Envelope = Envelope> {
  readonly record: SQSRecord;
  readonly delivery: Delivery;
  readonly receiveCount: number;
  readonly messageGroupId: string | undefined;
  readonly logger: Logger;
  readonly lambdaContext: Context | undefined;
  /**
   * Aborted when the worker abandons this record: it ran past its time budget, or the
   * invocation reached its stop point. Pass it to long calls (`client.send(cmd, { abortSignal })`)
   * and stop when it fires: the record has been handed back to the queue.
   */
  readonly signal: AbortSignal;
  /**
   * Commits a DynamoDB effect together with the event's idempotency record in one transaction
   * (the `transactional` option): the effect is applied exactly once per event id, a duplicate
   * gets `{ duplicate: true }` and the stored result, and nothing is committed once `signal` is
   * aborted (a late write of an abandoned handler loses).
   * @throws WorkerConfigError when the worker has no `transactional` option
   * @throws EffectAbandonedError when the record was abandoned before the commit started
   */
  readonly commit: Commit;
  /**
   * The events after this one in its FIFO message group in this batch, in order, up to the first
   * record that does not decode. Empty on standard queues (no order to rely on), and when the
   * worker has a per-key policy, Powertools idempotency or no `transactional` option (each event
   * must then run on its own).
   */
  readonly following: readonly FollowingEvent<TEvent>[];
  /**
   * Commits this event's effect and the effects of events from `following` (each request names
   * its `event`; exactly one is this event's) in one TransactWriteItems, each with its own
   * idempotency record, all or nothing (100 items at most): a run of one key's events computed
   * together, with one state update for all of them, costs one request instead of one each.
   * `applied: true`: all were applied; those following events are acknowledged now and skipped
   * at their turn, without `processEvent`. `applied: false`: nothing was written (or, after a
   * lost answer, all was), and the following events run as usual. With `duplicates` (idempotency
   * keys that were applied before), go on with `commit` for this event alone; a later run of the
   * invocation that holds one of them is refused the same way without a request (a redelivered
   * batch costs one failed run, not one per event). Without, an effect's condition failed (the
   * state it was computed from moved): read the state and compute the run again.
   * @throws WorkerConfigError when the worker has no `transactional` option, or the requests do
   *   not name this event once and other events of `following` at most once each
   * @throws EffectAbandonedError when the record was abandoned before the commit started
   */
  readonly commitRun: CommitRun;
}

/**
 * The business function: process one event, throw to fail it (NonRetryableError to dead-letter
 * it now). `TEvent` is the catalogue's typed envelope (`EventOf<typeof catalogue>`).
 */
export type ProcessEvent<TEvent extends Envelope = Envelope> = (
  event: TEvent,
  context: RecordContext<TEvent>,
) => Promise<void>;
