import {
  BatchProcessor,
  EventType,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from '@aws-lambda-powertools/batch';
import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { IdempotencyPayloadMismatchError, KeyBusyError } from '../shared/coordination/errors.ts';
import { type KeyConcurrency, planQueueRetry } from '../shared/coordination/key-policy.ts';
import type { powertoolsIdempotency } from '../shared/coordination/powertools-idempotency.ts';
import type {
  CoalescedRun,
  TransactionalIdempotency,
} from '../shared/coordination/transactional-idempotency.ts';
import { integerEnv, optionalEnv } from '../shared/env.ts';
import type {
  EventCatalogue,
  EventDefinition,
  EventOfDefinitions,
} from '../shared/events/catalogue.ts';
import type { Envelope } from '../shared/events/envelope.ts';
import { LANES_METRICS_NAMESPACE, WORKER_METRICS } from '../shared/observability/metrics.ts';
import { type DeadLetterSink, SqsDeadLetterSink } from '../shared/worker/dead-letter.ts';
import { InvocationDeadline, runWithinBudget } from '../shared/worker/deadline.ts';
import { decodeRecord, fromFifoQueue } from '../shared/worker/decode.ts';
import { WORKER_ENV } from '../shared/worker/env.ts';
import {
  EffectAbandonedError,
  NonRetryableError,
  RecordDeferredError,
  RecordTimeoutError,
  WorkerConfigError,
} from '../shared/worker/errors.ts';
import { processFifoGroups } from '../shared/worker/fifo-groups.ts';
import { GroupRuns, runMembers } from '../shared/worker/group-runs.ts';
import type {
  Commit,
  CommitRequest,
  CommitRun,
  ProcessEvent,
  RecordContext,
} from '../shared/worker/process-event.ts';
import { type RetryDelay, SqsRetryDelay } from '../shared/worker/retry-delay.ts';

/** Metric names the runtime emits (namespace `lanes` unless overridden). */
export { WORKER_METRICS } from '../shared/observability/metrics.ts';
export { WORKER_ENV } from '../shared/worker/env.ts';

export type {
  Commit,
  CommitRequest,
  CommitRun,
  FollowingEvent,
  ProcessEvent,
  RecordContext,
  RunCommitRequest,
} from '../shared/worker/process-event.ts';

export interface WorkerOptions<
  TDefinitions extends readonly EventDefinition[] = readonly EventDefinition[],
> {
  /** Event types this worker accepts; other records are dead-lettered as invalid. */
  readonly catalogue: EventCatalogue<TDefinitions>;
  /** Receives each valid event, typed by the catalogue's schemas. */
  readonly processEvent: ProcessEvent<EventOfDefinitions<TDefinitions>>;
  /** @default - process.env.POWERTOOLS_SERVICE_NAME, else 'lanes-worker' */
  readonly serviceName?: string;
  /** @default - a Powertools Logger for `serviceName` */
  readonly logger?: Logger;
  /** @default - Powertools Metrics in namespace `lanes` for `serviceName` */
  readonly metrics?: Metrics;
  /**
   * X-Ray tracing of each invocation (a segment per batch, annotated with the service).
   * @default - a Powertools Tracer for `serviceName`, on unless POWERTOOLS_TRACE_ENABLED=false
   * (the constructs' `tracing: false`) or outside Lambda
   */
  readonly tracer?: Tracer;
  /** @default - an SqsDeadLetterSink on env LANES_DLQ_URL; without it records are only retried */
  readonly deadLetter?: DeadLetterSink;
  /**
   * Receive count at which a failing record is dead-lettered by the worker, with its reason,
   * instead of being returned to the queue one last time.
   * @default - env LANES_MAX_RECEIVE_COUNT; unset: SQS's redrive policy decides (no reason kept)
   */
  readonly maxReceiveCount?: number;
  /** @default - () => Date.now() */
  readonly now?: () => number;
  /**
   * Per-key concurrency policy (lanes' own: Powertools has none), applied to each event's
   * `partitionKey` across all workers. With `KeyPolicies.skip()` an event whose key is busy is
   * acknowledged without running. With `queue()` or `limit(n)` it is postponed by the suggested
   * delay (ChangeMessageVisibility) and retried; the worker never dead-letters it for that. On a
   * standard queue, before its next receive would reach `maxReceiveCount` the worker sends a
   * delayed copy and acknowledges the original, so the queue's redrive policy never moves it.
   * On a FIFO queue it is only postponed (a copy would go behind its group), so size
   * maxReceiveCount for the contention you expect; a FIFO queue grouped by the same key needs
   * no per-key policy anyway: a group is already processed one batch at a time.
   * @default - no per-key policy
   */
  readonly keyConcurrency?: KeyConcurrency;
  /**
   * Exactly-once effects under at-least-once delivery: Powertools idempotency keyed by the event
   * id. An event delivered or published again after its first run completed is acknowledged
   * without running; one still running elsewhere is retried later.
   * @example powertoolsIdempotency({ tableName, keyPrefix: 'orders', payloadPath: 'data' })
   * @default - none: `processEvent` must be idempotent itself
   */
  readonly idempotency?: ReturnType<typeof powertoolsIdempotency>;
  /**
   * Exactly-once DynamoDB effects: `context.commit({ effect })` writes the effect and an
   * idempotency record keyed by the event id in one TransactWriteItems, so a redelivered,
   * replayed or retried event (within the record's retention, 14 days by default) is recognised
   * whichever position it has in its key's stream, and a crash can never leave the effect
   * without its record or the other way round. Use `idempotency` (Powertools) for effects that
   * are not DynamoDB writes.
   * @example transactional: new TransactionalIdempotency({ tableName, keyPrefix: 'orders' })
   * @default - none: `context.commit` throws
   */
  readonly transactional?: TransactionalIdempotency;
  /**
   * Commits of records that run at once (a standard queue's batch, the groups of a FIFO batch
   * with `parallelFifoGroups`) go to DynamoDB together, in as few TransactWriteItems as fit
   * (`TransactionalIdempotency.coalescing`): a batch of 50 one-item effects is one request. When
   * the joint transaction fails (a duplicate among them, say), each record commits on its own,
   * with the same outcome it would have had. Off, every commit is its own transaction.
   * @default true
   */
  readonly coalesceCommits?: boolean;
  /**
   * Longest time one record may take. The worker starts a record only while the time left
   * before its stop point (500 ms before the function timeout) covers this budget, and abandons
   * a record that runs longer (its `signal` aborts): the record is reported as a batch item
   * failure (on FIFO with the rest of its group), finished records are acknowledged, and on its
   * last receive the record is dead-lettered with a RecordTimeoutError. Size batches so that
   * batchSize x budget fits the timeout on FIFO queues (records run one after another there,
   * a group's records with `parallelFifoGroups`).
   * @default - env LANES_RECORD_BUDGET_MS; unset: half of the time to the stop point when the invocation starts
   */
  readonly recordBudgetMs?: number;
  /** How a busy key's event is postponed. @default - SqsRetryDelay */
  readonly retryDelay?: RetryDelay;
  /**
   * Runs the message groups of a FIFO batch at once (a group's records still one after another,
   * in order; a failure still stops only its group). Off, a FIFO batch's records run one after
   * another, so the mapping's maxConcurrency bounds the records in flight; on, up to batchSize
   * records of one invocation run at once: size what is downstream for maxConcurrency x
   * batchSize. For batches that span many groups (workflow steps keyed by execution, say).
   * @default false
   */
  readonly parallelFifoGroups?: boolean;
}

/**
 * The worker options of a catalogue, for options built apart from `createWorkerHandler`.
 *
 * @example
 * export function ordersWorkerOptions(): WorkerOptionsOf<typeof ordersCatalogue> { ... }
 */
export type WorkerOptionsOf<TCatalogue> =
  TCatalogue extends EventCatalogue<infer TDefinitions> ? WorkerOptions<TDefinitions> : never;

/** What a record handler needs from its invocation: its deadline, and where to note finished records. */
export interface InvocationScope {
  readonly deadline: InvocationDeadline;
  /** Message ids of the records that finished (acknowledged: processed, skipped, dead-lettered). */
  readonly finished: Set<string>;
  /**
   * Message ids of the records this invocation started (decoded, and then run). A record that
   * goes back without having started is released to its queue at once.
   */
  readonly started?: Set<string>;
  /** This invocation's Lambda context (not a later one's, should abandoned work still run). */
  readonly lambdaContext?: Context;
  /** The commit of records that run at once, when they are coalesced. @default - each commits on its own */
  readonly commit?: CoalescedRun;
  /**
   * The batch's FIFO group runs (`following`, `commitRun`).
   * @default - none: `following` is empty and a run holds this event only
   */
  readonly runs?: GroupRuns;
}

function defaultDeadLetter(): DeadLetterSink | undefined {
  const queueUrl = optionalEnv(WORKER_ENV.DLQ_URL);
  return queueUrl ? new SqsDeadLetterSink({ queueUrl }) : undefined;
}

function defaultMaxReceiveCount(): number | undefined {
  // It should match the queue's maxReceiveCount (the Worker construct sets both).
  return integerEnv(WORKER_ENV.MAX_RECEIVE_COUNT, { min: 1 });
}

function defaultRecordBudgetMs(): number | undefined {
  // The longest time one record may take, in milliseconds, below the function timeout.
  return integerEnv(WORKER_ENV.RECORD_BUDGET_MS, { min: 1 });
}

/** Whether a record is on its last receive before the queue's redrive policy would move it. */
function isFinalAttempt(receiveCount: number, maxReceiveCount: number | undefined): boolean {
  return maxReceiveCount !== undefined && receiveCount >= maxReceiveCount;
}

/**
 * Builds the SQS record handler used inside a batch: decode and validate, check the invocation's
 * time, process within the record's budget, and sort the failures (retry, or dead-letter with a
 * reason). Pass the invocation's scope so a record is started only in time and abandoned at its
 * budget; without one (unit tests) records run without a deadline. Exposed without middy for
 * unit tests.
 */
export function createRecordHandler<const TDefinitions extends readonly EventDefinition[]>(
  options: WorkerOptions<TDefinitions> & {
    logger: Logger;
    metrics: Metrics;
    context?: () => Context | undefined;
  },
): (record: SQSRecord, scope?: InvocationScope) => Promise<void> {
  // decodeRecord validated `data` against the schema of the record's type before this runs.
  const processEvent = options.processEvent as ProcessEvent;
  const deadLetter = options.deadLetter ?? defaultDeadLetter();
  const maxReceiveCount = options.maxReceiveCount ?? defaultMaxReceiveCount();
  const now = options.now ?? (() => Date.now());
  const { logger, metrics, keyConcurrency, transactional } = options;
  const retryDelay = options.retryDelay ?? lazySqsRetryDelay();
  const processOnce = options.idempotency
    ? makeIdempotent(processEvent, options.idempotency)
    : processEvent;
  /** Runs the event under its key's policy; false when the policy skipped it. */
  const runGuarded = async (event: Envelope, context: RecordContext): Promise<boolean> => {
    if (!keyConcurrency) {
      await processOnce(event, context);
      return true;
    }
    const outcome = await keyConcurrency.run(
      event.partitionKey,
      () => processOnce(event, context),
      context.receiveCount,
    );
    return outcome.status === 'completed';
  };
  /** Counts a processed event and its end-to-end latency (returned, in milliseconds). */
  const countProcessed = (event: Envelope): number => {
    const latencyMs = now() - Date.parse(event.time);
    metrics.addMetric(WORKER_METRICS.PROCESSED, MetricUnit.Count, 1);
    metrics.addMetric(WORKER_METRICS.END_TO_END_LATENCY, MetricUnit.Milliseconds, latencyMs);
    return latencyMs;
  };
  /** The commit bound to one event and its record's signal. */
  const commitFor = (
    event: Envelope,
    signal: AbortSignal,
    scope: InvocationScope | undefined,
  ): Commit => {
    return async <R>(request: CommitRequest<R>) => {
      if (!transactional) {
        throw new WorkerConfigError(
          `context.commit was called for event ${event.id} but the worker has no transactional option; pass transactional: new TransactionalIdempotency({ tableName, keyPrefix }) to createWorkerHandler.`,
        );
      }
      // A handler abandoned at its deadline must not write: its record may already be taken over.
      if (signal.aborted) throw new EffectAbandonedError(event.id, { cause: signal.reason });
      const run = scope?.commit ?? transactional.run.bind(transactional);
      const outcome = await run<R>(
        {
          key: request.key ?? event.id,
          payload: request.payload ?? event.data,
          effect: request.effect,
          result: (request.result ?? null) as R,
        },
        { abortSignal: signal },
      );
      if (outcome.duplicate) metrics.addMetric(WORKER_METRICS.DUPLICATE, MetricUnit.Count, 1);
      return outcome;
    };
  };

  /** The run commit bound to one record: its event first, then the group's following events. */
  const commitRunFor = (
    event: Envelope,
    record: SQSRecord,
    signal: AbortSignal,
    scope: InvocationScope | undefined,
  ): CommitRun => {
    return async (requests) => {
      if (!transactional) {
        throw new WorkerConfigError(
          `context.commitRun was called for event ${event.id} but the worker has no transactional option; pass transactional: new TransactionalIdempotency({ tableName, keyPrefix }) to createWorkerHandler.`,
        );
      }
      const following = scope?.runs?.following(record) ?? [];
      const ahead = runMembers(event, requests, following);
      if (signal.aborted) throw new EffectAbandonedError(event.id, { cause: signal.reason });
      const joint = requests.map((request) => {
        const owner = request.event ?? event;
        return {
          key: request.key ?? owner.id,
          payload: request.payload ?? owner.data,
          effect: request.effect,
          result: request.result ?? null,
        };
      });
      // A key a failed run of this batch found applied before fails this run too: no request.
      const known = scope?.runs?.knownDuplicates(joint.map((request) => request.key)) ?? [];
      if (known.length > 0) return { applied: false, duplicates: known };
      const outcome = await transactional.runAll(joint, { abortSignal: signal });
      if (!outcome.applied) {
        scope?.runs?.markDuplicates(outcome.duplicates);
        return outcome;
      }
      // The following events of the run are done: acknowledged now, and not run at their turn.
      scope?.runs?.markApplied(ahead.map((next) => next.record));
      for (const next of ahead) {
        scope?.finished.add(next.record.messageId);
        countProcessed(next.event);
      }
      return outcome;
    };
  };

  const giveUp = async (record: SQSRecord, error: Error, log: Logger = logger): Promise<void> => {
    if (!deadLetter) throw error;
    await deadLetter.send(record, error);
    metrics.addMetric(WORKER_METRICS.DEAD_LETTERED, MetricUnit.Count, 1);
    log.error('Record dead-lettered', { messageId: record.messageId, error });
  };

  /** Refuses to start a record the invocation has no time left for (it goes back untouched). */
  const deferIfLate = (record: SQSRecord, scope: InvocationScope | undefined): void => {
    if (!scope || scope.deadline.canStart()) return;
    metrics.addMetric(WORKER_METRICS.DEFERRED, MetricUnit.Count, 1);
    throw new RecordDeferredError(
      record.messageId,
      scope.deadline.msToStop(),
      scope.deadline.recordBudgetMs,
    );
  };

  return async (record: SQSRecord, scope?: InvocationScope): Promise<void> => {
    if (scope?.runs?.wasApplied(record)) {
      // Applied with an earlier event of its group (commitRun), and already acknowledged.
      logger.debug('Event applied with an earlier event of its group', {
        messageId: record.messageId,
      });
      return;
    }
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
    deferIfLate(record, scope);
    scope?.started?.add(record.messageId);
    let decoded: ReturnType<typeof decodeRecord>;
    try {
      decoded = scope?.runs ? scope.runs.decode(record) : decodeRecord(record, options.catalogue);
    } catch (error) {
      metrics.addMetric(WORKER_METRICS.FAILED, MetricUnit.Count, 1);
      await giveUp(record, error as Error);
      scope?.finished.add(record.messageId);
      return;
    }
    const { envelope, delivery } = decoded;
    const keys = {
      eventId: envelope.id,
      eventType: envelope.type,
      partitionKey: envelope.partitionKey,
      lane: envelope.lane ?? null,
      messageId: record.messageId,
    };
    // A logger of this record's own: records of a batch run at once (standard queues, and the
    // groups of a FIFO batch), so keys appended to the shared logger would mix.
    const log = logger.createChild({ persistentKeys: keys });
    // The request the event belongs to, or the event itself: every line of this record has it.
    log.setCorrelationId(envelope.correlationId ?? envelope.id);
    try {
      const run = (signal: AbortSignal) =>
        runGuarded(envelope, {
          record,
          delivery,
          receiveCount,
          messageGroupId: record.attributes.MessageGroupId,
          logger: log,
          lambdaContext: scope ? scope.lambdaContext : options.context?.(),
          signal,
          commit: commitFor(envelope, signal, scope),
          // Decoded only when the handler looks (most handlers never do).
          get following() {
            return (scope?.runs?.following(record) ?? []).map(({ event, delivery }) => ({
              event,
              delivery,
            }));
          },
          commitRun: commitRunFor(envelope, record, signal, scope),
        });
      const ran = scope
        ? await runWithinBudget(run, scope.deadline, record.messageId)
        : await run(new AbortController().signal);
      scope?.finished.add(record.messageId);
      if (!ran) {
        metrics.addMetric(WORKER_METRICS.SKIPPED_KEY_BUSY, MetricUnit.Count, 1);
        log.info('Event skipped: its key is busy and the policy is skip');
        return;
      }
      log.debug('Event processed', { latencyMs: countProcessed(envelope) });
    } catch (error) {
      if (error instanceof KeyBusyError) {
        // Not a failure of the event: wait for the key, and keep it out of the DLQ.
        metrics.addMetric(WORKER_METRICS.POSTPONED_KEY_BUSY, MetricUnit.Count, 1);
        const seconds = error.retryAfterSeconds;
        const { action } = planQueueRetry({ attempt: receiveCount, maxReceiveCount });
        if (action === 'requeue' && !fromFifoQueue(record)) {
          // A copy starts again at receive count 1; the original is acknowledged.
          await retryDelay.requeue(record, seconds);
          scope?.finished.add(record.messageId);
          log.info('Event requeued: its key is busy', { retryAfterSeconds: seconds });
          return;
        }
        await retryDelay.postpone(record, seconds);
        log.info('Event postponed: its key is busy', { retryAfterSeconds: seconds });
        throw error;
      }
      const timedOut = error instanceof RecordTimeoutError;
      metrics.addMetric(
        timedOut ? WORKER_METRICS.TIMED_OUT : WORKER_METRICS.FAILED,
        MetricUnit.Count,
        1,
      );
      const nonRetryable =
        error instanceof NonRetryableError || error instanceof IdempotencyPayloadMismatchError;
      if (nonRetryable || isFinalAttempt(receiveCount, maxReceiveCount)) {
        // Dead-lettered records count as finished: on FIFO the rest of the group goes on.
        await giveUp(record, error as Error, log);
        scope?.finished.add(record.messageId);
        return;
      }
      log.warn(
        timedOut
          ? 'Event abandoned at its time budget; it will be retried'
          : 'Event failed; it will be retried',
        { receiveCount, error },
      );
      throw error;
    }
  };
}

/**
 * Runs a batch's records with the processor its queue needs. New processors per invocation: an
 * abandoned batch may still be winding down in one.
 */
function processBatch(
  event: SQSEvent,
  context: Context,
  handleRecord: (record: SQSRecord) => Promise<void>,
  { fifo, parallelFifoGroups }: { fifo: boolean; parallelFifoGroups: boolean },
): Promise<SQSBatchResponse> {
  if (!fifo) {
    return processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
      context,
    });
  }
  if (parallelFifoGroups) return processFifoGroups(event.Records, handleRecord);
  return processPartialResponse(event, handleRecord, new SqsFifoPartialProcessorAsync(), {
    context,
    skipGroupOnError: true,
  });
}

/**
 * An SqsRetryDelay built on first use (a busy key, a record released), so workers that never
 * need one build no SQS client at start.
 */
function lazySqsRetryDelay(): RetryDelay {
  let delay: SqsRetryDelay | undefined;
  const sqs = () => {
    delay ??= new SqsRetryDelay();
    return delay;
  };
  return {
    postpone: (record, seconds) => sqs().postpone(record, seconds),
    requeue: (record, seconds) => sqs().requeue(record, seconds),
    release: (records, options) => sqs().release(records, options),
  };
}

/** Time a release may take: well inside what is left of the invocation, at most 2 s. */
function releaseTimeoutMs(context: Context | undefined): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined || !Number.isFinite(remaining)) return 2_000;
  return Math.max(0, Math.min(2_000, remaining - 200));
}

/**
 * Makes the batch's failed records that never started visible again at once: they were handed
 * back for lack of time (or skipped behind such a record in their FIFO group), not because they
 * failed, so waiting out the visibility timeout (6 x the function timeout) would only hold them,
 * and on a FIFO queue their whole message group, back. Best effort: a record not released comes
 * back after the visibility timeout as before.
 */
async function releaseUnstarted(
  records: readonly SQSRecord[],
  response: SQSBatchResponse,
  scope: InvocationScope,
  options: { retryDelay: RetryDelay; logger: Logger; timeoutMs: number },
): Promise<void> {
  const { retryDelay, logger, timeoutMs } = options;
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const unstarted = records.filter(
    (record) => failed.has(record.messageId) && !scope.started?.has(record.messageId),
  );
  if (unstarted.length === 0 || !retryDelay.release || timeoutMs <= 0) return;
  try {
    // Aborted at the timeout: the request is cancelled rather than left running past the answer.
    const refused = await retryDelay.release(unstarted, {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    logger.info('Unstarted records released to their queue', {
      released: unstarted.length - refused.length,
      refused,
    });
  } catch (error) {
    logger.warn('Could not release unstarted records; they return after the visibility timeout', {
      records: unstarted.length,
      timeoutMs,
      error,
    });
  }
}

/**
 * A middy Lambda handler for an SQS event source: per-record parsing and validation against the
 * catalogue, Powertools batch processing with partial batch responses, Logger and Metrics, and a
 * deadline: records are started only while the invocation has time for them (`recordBudgetMs`),
 * a record that runs past its budget is abandoned (its `signal` aborts) and reported as failed,
 * and the worker answers before the function timeout with every unfinished record as a batch item
 * failure, so records that finished are never delivered again. Records it never started are made
 * visible again at once (ChangeMessageVisibility 0): they, and on FIFO their message group, do
 * not wait out the visibility timeout.
 *
 * FIFO queues use Powertools' `SqsFifoPartialProcessorAsync` with `skipGroupOnError`: records are
 * processed in order, a failure stops its message group (later records of that group are failed
 * without being processed, so order holds) while other groups in the batch go on; with
 * `parallelFifoGroups` the groups of a batch run at once (`processFifoGroups`), under the same
 * rules. Standard queues use `BatchProcessor` (records in parallel).
 *
 * @example
 * export const handler = createWorkerHandler({
 *   catalogue: ordersCatalogue,
 *   transactional: new TransactionalIdempotency({ tableName: requireEnv('COORDINATION_TABLE_NAME'), keyPrefix: 'orders' }),
 *   processEvent: async (event, { commit }) => {
 *     await commit({ effect: [{ Put: { TableName: 'Orders', Item: toItem(event) } }] });
 *   },
 * });
 */
export function createWorkerHandler<const TDefinitions extends readonly EventDefinition[]>(
  options: WorkerOptions<TDefinitions>,
) {
  const serviceName = options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'lanes-worker';
  const logger = options.logger ?? new Logger({ serviceName });
  const metrics =
    options.metrics ??
    new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? LANES_METRICS_NAMESPACE,
      serviceName,
    });
  const tracer = options.tracer ?? new Tracer({ serviceName });
  const recordBudgetMs = options.recordBudgetMs ?? defaultRecordBudgetMs();
  if (recordBudgetMs !== undefined && (!Number.isInteger(recordBudgetMs) || recordBudgetMs < 1)) {
    throw new WorkerConfigError(
      `recordBudgetMs must be a positive integer number of milliseconds (given ${recordBudgetMs}).`,
    );
  }
  const retryDelay = options.retryDelay ?? lazySqsRetryDelay();
  const recordHandler = createRecordHandler({ ...options, logger, metrics, retryDelay });
  // A per-key policy or Powertools idempotency must see every event run on its own.
  const groupRunsAllowed =
    options.transactional !== undefined && !options.keyConcurrency && !options.idempotency;

  const handle = async (
    event: SQSEvent,
    context: Context,
    middyOptions?: { signal?: AbortSignal },
  ): Promise<SQSBatchResponse> => {
    // In-progress idempotency records expire with this invocation's remaining time.
    options.idempotency?.config.registerLambdaContext(context);
    const deadline = new InvocationDeadline({
      remainingMs: context?.getRemainingTimeInMillis?.(),
      recordBudgetMs,
    });
    if (deadline.budgetClamped) {
      logger.warn('recordBudgetMs is longer than the invocation: lower it below the timeout', {
        recordBudgetMs,
        usableMs: deadline.recordBudgetMs,
      });
    }
    // middy aborts its signal at its own early timeout: stop there too.
    middyOptions?.signal?.addEventListener('abort', () => deadline.stop(), { once: true });
    const first = event.Records[0];
    const fifo = first !== undefined && fromFifoQueue(first);
    // Records run at once on standard queues and across a FIFO batch's groups with
    // parallelFifoGroups; one after another, a commit has nothing to go with.
    const parallelFifoGroups = options.parallelFifoGroups === true;
    const concurrentRecords = !fifo || parallelFifoGroups;
    const scope: InvocationScope = {
      deadline,
      finished: new Set(),
      started: new Set(),
      lambdaContext: context,
      ...(options.transactional && concurrentRecords && options.coalesceCommits !== false
        ? { commit: options.transactional.coalescing() }
        : {}),
      ...(fifo && groupRunsAllowed
        ? { runs: new GroupRuns(event.Records, (r) => decodeRecord(r, options.catalogue)) }
        : {}),
    };
    const answer = async (response: SQSBatchResponse): Promise<SQSBatchResponse> => {
      await releaseUnstarted(event.Records, response, scope, {
        retryDelay,
        logger,
        timeoutMs: releaseTimeoutMs(context),
      });
      return response;
    };
    const processing = processBatch(event, context, (record) => recordHandler(record, scope), {
      fifo,
      parallelFifoGroups,
    });
    const settled = processing.then(
      (response) => ({ response }),
      (error: unknown) => ({ error }),
    );
    const outcome = await Promise.race([settled, deadline.reached.then(() => undefined)]);
    deadline.dispose();
    if (outcome !== undefined) {
      if ('error' in outcome) throw outcome.error;
      return answer(outcome.response);
    }
    // The stop point came first: hand back every record that did not finish, before Lambda's
    // timeout would fail the whole batch.
    deadline.stop();
    const unfinished = event.Records.filter((record) => !scope.finished.has(record.messageId));
    logger.warn('Invocation reached its stop point; unfinished records go back to the queue', {
      unfinished: unfinished.length,
      finished: scope.finished.size,
    });
    return answer({
      batchItemFailures: unfinished.map((record) => ({ itemIdentifier: record.messageId })),
    });
  };

  return middy(handle)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
