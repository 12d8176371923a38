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
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { KeyBusyError } from '../shared/coordination/errors.ts';
import { type KeyConcurrency, planQueueRetry } from '../shared/coordination/key-policy.ts';
import type { powertoolsIdempotency } from '../shared/coordination/powertools-idempotency.ts';
import { integerEnv, optionalEnv } from '../shared/env.ts';
import type {
  EventCatalogue,
  EventDefinition,
  EventOfDefinitions,
} from '../shared/events/catalogue.ts';
import type { Envelope } from '../shared/events/envelope.ts';
import { type DeadLetterSink, SqsDeadLetterSink } from '../shared/worker/dead-letter.ts';
import { type Delivery, decodeRecord, fromFifoQueue } from '../shared/worker/decode.ts';
import { WORKER_ENV } from '../shared/worker/env.ts';
import { NonRetryableError } from '../shared/worker/errors.ts';
import { type RetryDelay, SqsRetryDelay } from '../shared/worker/retry-delay.ts';

export { WORKER_ENV } from '../shared/worker/env.ts';

/** Metric names the runtime emits (namespace `lanes` unless overridden). */
export const WORKER_METRICS = {
  PROCESSED: 'EventsProcessed',
  FAILED: 'EventsFailed',
  DEAD_LETTERED: 'EventsDeadLettered',
  END_TO_END_LATENCY: 'EndToEndLatency',
  /** The event's key was busy under a `skip` policy: acknowledged without running. */
  SKIPPED_KEY_BUSY: 'EventsSkippedKeyBusy',
  /** The event's key was busy under a `queue`/`limit` policy: postponed and retried. */
  POSTPONED_KEY_BUSY: 'EventsPostponedKeyBusy',
} as const;

/** What a record handler gets besides the event. */
export interface RecordContext {
  readonly record: SQSRecord;
  readonly delivery: Delivery;
  readonly receiveCount: number;
  readonly messageGroupId: string | undefined;
  readonly logger: Logger;
  readonly lambdaContext: Context | undefined;
}

/**
 * The business function: process one event, throw to fail it (NonRetryableError to dead-letter
 * it now). `TEvent` is the catalogue's typed envelope (`EventOf<typeof catalogue>`).
 */
export type ProcessEvent<TEvent extends Envelope = Envelope> = (
  event: TEvent,
  context: RecordContext,
) => Promise<void>;

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
  /** How a busy key's event is postponed. @default - SqsRetryDelay */
  readonly retryDelay?: RetryDelay;
}

function defaultDeadLetter(): DeadLetterSink | undefined {
  const queueUrl = optionalEnv(WORKER_ENV.DLQ_URL);
  return queueUrl ? new SqsDeadLetterSink({ queueUrl }) : undefined;
}

function defaultMaxReceiveCount(): number | undefined {
  // It should match the queue's maxReceiveCount (the Worker construct sets both).
  return integerEnv(WORKER_ENV.MAX_RECEIVE_COUNT, { min: 1 });
}

/**
 * Builds the SQS record handler used inside a batch: decode and validate, process, and sort the
 * failures (retry, or dead-letter with a reason). Exposed without middy for unit tests.
 */
export function createRecordHandler<const TDefinitions extends readonly EventDefinition[]>(
  options: WorkerOptions<TDefinitions> & {
    logger: Logger;
    metrics: Metrics;
    context?: () => Context | undefined;
  },
): (record: SQSRecord) => Promise<void> {
  // decodeRecord validated `data` against the schema of the record's type before this runs.
  const processEvent = options.processEvent as ProcessEvent;
  const deadLetter = options.deadLetter ?? defaultDeadLetter();
  const maxReceiveCount = options.maxReceiveCount ?? defaultMaxReceiveCount();
  const now = options.now ?? (() => Date.now());
  const { logger, metrics, keyConcurrency } = options;
  // Created on the first busy key, so workers that never see one build no SQS client at start.
  let retryDelay = options.retryDelay;
  const delays = () => {
    retryDelay ??= new SqsRetryDelay();
    return retryDelay;
  };
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

  const giveUp = async (record: SQSRecord, error: Error): Promise<void> => {
    if (!deadLetter) throw error;
    await deadLetter.send(record, error);
    metrics.addMetric(WORKER_METRICS.DEAD_LETTERED, MetricUnit.Count, 1);
    logger.error('Record dead-lettered', { messageId: record.messageId, error });
  };

  return async (record: SQSRecord): Promise<void> => {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
    let decoded: ReturnType<typeof decodeRecord>;
    try {
      decoded = decodeRecord(record, options.catalogue);
    } catch (error) {
      metrics.addMetric(WORKER_METRICS.FAILED, MetricUnit.Count, 1);
      await giveUp(record, error as Error);
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
    logger.appendKeys(keys);
    try {
      const ran = await runGuarded(envelope, {
        record,
        delivery,
        receiveCount,
        messageGroupId: record.attributes.MessageGroupId,
        logger,
        lambdaContext: options.context?.(),
      });
      if (!ran) {
        metrics.addMetric(WORKER_METRICS.SKIPPED_KEY_BUSY, MetricUnit.Count, 1);
        logger.info('Event skipped: its key is busy and the policy is skip');
        return;
      }
      metrics.addMetric(WORKER_METRICS.PROCESSED, MetricUnit.Count, 1);
      const latencyMs = now() - Date.parse(envelope.time);
      metrics.addMetric(WORKER_METRICS.END_TO_END_LATENCY, MetricUnit.Milliseconds, latencyMs);
      logger.debug('Event processed', { latencyMs });
    } catch (error) {
      if (error instanceof KeyBusyError) {
        // Not a failure of the event: wait for the key, and keep it out of the DLQ.
        metrics.addMetric(WORKER_METRICS.POSTPONED_KEY_BUSY, MetricUnit.Count, 1);
        const seconds = error.retryAfterSeconds;
        const { action } = planQueueRetry({ attempt: receiveCount, maxReceiveCount });
        if (action === 'requeue' && !fromFifoQueue(record)) {
          // A copy starts again at receive count 1; the original is acknowledged.
          await delays().requeue(record, seconds);
          logger.info('Event requeued: its key is busy', { retryAfterSeconds: seconds });
          return;
        }
        await delays().postpone(record, seconds);
        logger.info('Event postponed: its key is busy', { retryAfterSeconds: seconds });
        throw error;
      }
      metrics.addMetric(WORKER_METRICS.FAILED, MetricUnit.Count, 1);
      const finalAttempt = maxReceiveCount !== undefined && receiveCount >= maxReceiveCount;
      if (error instanceof NonRetryableError || finalAttempt) {
        await giveUp(record, error as Error);
        return;
      }
      logger.warn('Event failed; it will be retried', { receiveCount, error });
      throw error;
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  };
}

/**
 * A middy Lambda handler for an SQS event source: per-record parsing and validation against the
 * catalogue, Powertools batch processing with partial batch responses, Logger and Metrics.
 *
 * FIFO queues use Powertools' `SqsFifoPartialProcessorAsync` with `skipGroupOnError`: records are
 * processed in order, a failure stops its message group (later records of that group are failed
 * without being processed, so order holds) while other groups in the batch go on. Standard queues
 * use `BatchProcessor`.
 *
 * @example
 * export const handler = createWorkerHandler({
 *   catalogue: ordersCatalogue,
 *   processEvent: async (event) => recordOrder(event),
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
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'lanes',
      serviceName,
    });
  let lambdaContext: Context | undefined;
  const recordHandler = createRecordHandler({
    ...options,
    logger,
    metrics,
    context: () => lambdaContext,
  });
  const fifoProcessor = new SqsFifoPartialProcessorAsync();
  const standardProcessor = new BatchProcessor(EventType.SQS);

  const handle = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    lambdaContext = context;
    // In-progress idempotency records expire with this invocation's remaining time.
    options.idempotency?.config.registerLambdaContext(context);
    const first = event.Records[0];
    const fifo = first !== undefined && fromFifoQueue(first);
    return fifo
      ? processPartialResponse(event, recordHandler, fifoProcessor, {
          context,
          skipGroupOnError: true,
        })
      : processPartialResponse(event, recordHandler, standardProcessor, { context });
  };

  return middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
