import { LanesError } from '../errors.ts';

/**
 * Errors of the workflows library. Every error extends {@link WorkflowError}, sets `name`, and
 * carries the context a caller needs (execution name, sizes, the failing field) without parsing
 * the message.
 */

/** Base class of every error thrown by `#shared/workflows`. */
export class WorkflowError extends LanesError {
  override name = 'WorkflowError';
}

/** One invalid field of a workflow input. */
export interface WorkflowFieldIssue {
  readonly path: string;
  readonly message: string;
}

/** A workflow input failed validation; names the source (event id, business key) and each field. */
export class WorkflowInputError extends WorkflowError {
  public readonly source: string;
  public readonly issues: readonly WorkflowFieldIssue[];
  public constructor(
    source: string,
    issues: readonly WorkflowFieldIssue[],
    options?: ErrorOptions,
  ) {
    const detail = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
    super(
      `Invalid workflow input from ${source}: ${detail}. Fix the producer and resend.`,
      options,
    );
    this.name = 'WorkflowInputError';
    this.source = source;
    this.issues = issues;
  }
}

/** A state payload is still above the Step Functions limit after claim-checking. */
export class PayloadTooLargeError extends WorkflowError {
  public readonly what: string;
  public readonly bytes: number;
  public readonly limitBytes: number;
  public constructor(what: string, bytes: number, limitBytes: number) {
    super(
      `${what} is ${bytes} bytes, above the limit of ${limitBytes} bytes even after claim-checking: ` +
        'move more of it behind a claim-check reference (only small fields belong in state).',
    );
    this.name = 'PayloadTooLargeError';
    this.what = what;
    this.bytes = bytes;
    this.limitBytes = limitBytes;
  }
}

/**
 * An execution with this name already exists with a different input: the same idempotency key
 * was used for different work. Retrying cannot help.
 */
export class ExecutionConflictError extends WorkflowError {
  public readonly executionName: string;
  public readonly executionArn: string;
  public constructor(executionName: string, executionArn: string, options?: ErrorOptions) {
    super(
      `Execution ${executionName} already exists with a different input (${executionArn}): ` +
        'the idempotency key was reused for different work. Derive the key from the business ' +
        'identity only, or make the input deterministic for that key.',
      options,
    );
    this.name = 'ExecutionConflictError';
    this.executionName = executionName;
    this.executionArn = executionArn;
  }
}

/** A claim-check reference points at nothing (expired or never stored). */
export class ClaimCheckNotFoundError extends WorkflowError {
  public readonly key: string;
  public constructor(key: string) {
    super(
      `Claim check ${key} was not found: it expired (raise ttlSeconds above the longest workflow) ` +
        'or was never stored.',
    );
    this.name = 'ClaimCheckNotFoundError';
    this.key = key;
  }
}

/** A stored claim check does not match the digest in its reference (corrupted or overwritten). */
export class ClaimCheckIntegrityError extends WorkflowError {
  public readonly key: string;
  public constructor(key: string, expected: string, actual: string) {
    super(
      `Claim check ${key} has sha256 ${actual}, the reference expects ${expected}: the stored ` +
        'payload was changed. Claim checks are content-addressed; never write them by hand.',
    );
    this.name = 'ClaimCheckIntegrityError';
    this.key = key;
  }
}

/** A library option is out of range; names the option, the value and the allowed range. */
export class WorkflowConfigError extends WorkflowError {
  public readonly option: string;
  public readonly value: unknown;
  public constructor(option: string, value: unknown, rule: string) {
    super(`Invalid workflows option ${option}: ${rule} (given ${String(value)})`);
    this.name = 'WorkflowConfigError';
    this.option = option;
    this.value = value;
  }
}

/** Answering a task token failed because the token is no longer valid (timed out, closed). */
export class TaskTokenExpiredError extends WorkflowError {
  public readonly step: string;
  public constructor(step: string, options?: ErrorOptions) {
    super(
      `The task token of step ${step} is no longer valid (the task timed out, missed a heartbeat, ` +
        'or the execution ended): the workflow already moved on. Raise heartbeatTimeout or ' +
        'heartbeat more often if this happens for healthy steps.',
      options,
    );
    this.name = 'TaskTokenExpiredError';
    this.step = step;
  }
}

/**
 * A step returned more than the Step Functions state limit and no claim check is configured to
 * carry it. Raised before anything is sent, so the task fails at once with this name.
 */
export class StepOutputTooLargeError extends WorkflowError {
  public readonly step: string;
  public readonly bytes: number;
  public readonly limitBytes: number;
  public constructor(step: string, bytes: number, limitBytes: number) {
    super(
      `Output of step ${step} is ${bytes} bytes, above the Step Functions limit of ${limitBytes} bytes, ` +
        'and no claim check is configured to store it: set CLAIM_CHECK_TABLE_NAME on the function ' +
        '(a table with a string partition key `pk`) or pass `claimCheck` to the step helper.',
    );
    this.name = 'StepOutputTooLargeError';
    this.step = step;
    this.bytes = bytes;
    this.limitBytes = limitBytes;
  }
}

/**
 * A step's output had to go behind a claim check and storing it failed (item too large even
 * compressed, table missing, no permission, throttled past the SDK's retries). The task fails at
 * once with this name and the store's own error in the message and `cause`, instead of the
 * execution waiting for a heartbeat timeout or the message being retried by SQS.
 */
export class ClaimCheckStoreError extends WorkflowError {
  public readonly step: string;
  public readonly bytes: number;
  public constructor(step: string, bytes: number, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : `${String(cause)}`;
    super(
      `Output of step ${step} (${bytes} bytes) goes behind a claim check, but storing it failed: ${reason}. ` +
        'Fix the claim-check store (table name, permissions) or return a smaller output.',
      { cause },
    );
    this.name = 'ClaimCheckStoreError';
    this.step = step;
    this.bytes = bytes;
  }
}

/**
 * A duplicate start arrived while the first start for the same key is still under way (Express
 * start guard). Nothing was started; retry later and the duplicate is recognised as such.
 */
export class WorkflowStartInProgressError extends WorkflowError {
  public readonly executionName: string;
  public constructor(executionName: string, options?: ErrorOptions) {
    super(
      `Execution ${executionName} is being started by another call right now: this duplicate ` +
        'started nothing. Retry it later (the worker runtime does): it then finds the start ' +
        'recorded and reports a duplicate.',
      options,
    );
    this.name = 'WorkflowStartInProgressError';
    this.executionName = executionName;
  }
}
