import { LanesError } from '../errors.ts';
import type { FieldIssue } from '../events/errors.ts';

/** Base class of errors raised by the lanes worker runtime. */
export class WorkerError extends LanesError {
  override name = 'WorkerError';
}

/**
 * Throw (or subclass) this from a record handler when retrying cannot help: the worker moves the
 * record to its dead-letter queue at once, with this error as the reason, and the rest of the batch
 * and of its message group goes on.
 *
 * @example
 * throw new NonRetryableError(`Customer ${id} is on hold (${reason}); release the hold, then redrive`);
 */
export class NonRetryableError extends WorkerError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/** An SQS record whose body is not a valid lanes event. It is dead-lettered with the reason. */
export class InvalidRecordError extends NonRetryableError {
  readonly messageId: string;
  readonly issues: readonly FieldIssue[];

  constructor(messageId: string, issues: readonly FieldIssue[], options?: ErrorOptions) {
    const detail = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
    super(
      `Invalid record ${messageId}: ${detail}. The producer must send a valid lanes envelope; fix it and redrive.`,
      options,
    );
    this.name = 'InvalidRecordError';
    this.messageId = messageId;
    this.issues = issues;
  }
}

/** Moving a record to the dead-letter queue failed; the record is left for SQS to retry. */
export class DeadLetterError extends WorkerError {
  readonly messageId: string;

  constructor(messageId: string, queueUrl: string, options?: ErrorOptions) {
    super(
      `Could not move record ${messageId} to the dead-letter queue ${queueUrl}; it stays on its queue and will be retried. Check the function's sqs:SendMessage permission on the DLQ.`,
      options,
    );
    this.name = 'DeadLetterError';
    this.messageId = messageId;
  }
}

/** A worker option or environment variable is invalid; the message names it and the value. */
export class WorkerConfigError extends WorkerError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkerConfigError';
  }
}

/**
 * A record ran longer than its time budget (`recordBudgetMs`), or was still running when the
 * invocation reached its stop point: the worker abandoned it (its handler's signal is aborted) and
 * reported it as a batch item failure, so only this record (and on FIFO the rest of its group) is
 * delivered again. On its last receive it is dead-lettered with this error as the reason.
 */
export class RecordTimeoutError extends WorkerError {
  readonly messageId: string;
  readonly budgetMs: number;
  readonly elapsedMs: number;

  constructor(messageId: string, budgetMs: number, elapsedMs: number) {
    super(
      `Record ${messageId} was abandoned after ${elapsedMs} ms: it exceeded its time budget of ${budgetMs} ms (recordBudgetMs) or the invocation's end came first. Make the handler faster, or raise recordBudgetMs together with the function timeout.`,
    );
    this.name = 'RecordTimeoutError';
    this.messageId = messageId;
    this.budgetMs = budgetMs;
    this.elapsedMs = elapsedMs;
  }
}

/**
 * A record was not started because the time left before the invocation's stop point did not
 * cover its budget: it goes back to the queue untouched and is delivered again.
 */
export class RecordDeferredError extends WorkerError {
  readonly messageId: string;
  readonly leftMs: number;
  readonly budgetMs: number;

  constructor(messageId: string, leftMs: number, budgetMs: number) {
    super(
      `Record ${messageId} was not started: ${leftMs} ms were left before the invocation's stop point, less than its time budget of ${budgetMs} ms; it goes back to the queue untouched. If this happens often, lower batchSize or raise the function timeout.`,
    );
    this.name = 'RecordDeferredError';
    this.messageId = messageId;
    this.leftMs = leftMs;
    this.budgetMs = budgetMs;
  }
}

/**
 * A handler tried to commit its effect after its record was abandoned (timeout or the
 * invocation's end): the record has been handed back to the queue and may already be processed
 * elsewhere, so the late write is refused.
 */
export class EffectAbandonedError extends WorkerError {
  readonly eventId: string;

  constructor(eventId: string, options?: ErrorOptions) {
    super(
      `The effect of event ${eventId} was not committed: its record was abandoned and handed back to the queue, where another invocation takes it over. Pass the record's signal to long calls so abandoned work stops early.`,
      options,
    );
    this.name = 'EffectAbandonedError';
    this.eventId = eventId;
  }
}
