import type { Logger } from '@aws-lambda-powertools/logger';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import type { TransactionalOutcome } from '../coordination/transactional-idempotency.ts';
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

/** What a record handler gets besides the event. */
export interface RecordContext {
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
}

/**
 * The business function: process one event, throw to fail it (NonRetryableError to dead-letter
 * it now). `TEvent` is the catalogue's typed envelope (`EventOf<typeof catalogue>`).
 */
export type ProcessEvent<TEvent extends Envelope = Envelope> = (
  event: TEvent,
  context: RecordContext,
) => Promise<void>;
