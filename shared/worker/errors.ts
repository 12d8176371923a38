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
