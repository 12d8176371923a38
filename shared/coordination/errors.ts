import { LanesError } from '../errors.ts';

/**
 * Errors of the coordination library. Every error extends {@link CoordinationError}, sets `name`,
 * and carries the context a caller needs to react (the lease name, the current holder and token)
 * without parsing the message.
 */

/** A lease holder as stored in the coordination table. */
export interface HolderInfo {
  /** Owner id of the current holder; `undefined` when the lease was released. */
  readonly holder: string | undefined;
  /** Fencing token of the current (or last) holder; `undefined` when the lease never existed. */
  readonly token: number | undefined;
  /** When the current holder's lease ends, in epoch milliseconds of the holder's clock. */
  readonly expiresAtMs: number | undefined;
}

/** Base class of every error thrown by `#shared/coordination`. */
export class CoordinationError extends LanesError {
  override name = 'CoordinationError';
}

/** An option was out of range; the message names the option, the value and the allowed range. */
export class CoordinationConfigError extends CoordinationError {
  public readonly option: string;
  public readonly value: unknown;
  public constructor(option: string, value: unknown, rule: string) {
    super(`Invalid coordination option ${option}: ${rule} (given ${String(value)})`);
    this.name = 'CoordinationConfigError';
    this.option = option;
    this.value = value;
  }
}

/** `acquire` found the lease held by someone else and not yet expired. */
export class LeaseHeldError extends CoordinationError implements HolderInfo {
  public readonly leaseName: string;
  public readonly holder: string | undefined;
  public readonly token: number | undefined;
  public readonly expiresAtMs: number | undefined;
  public constructor(leaseName: string, current: HolderInfo, options?: ErrorOptions) {
    super(
      `Lease ${leaseName} is held by ${current.holder ?? 'unknown'} (token ${current.token ?? 'none'}) ` +
        `until ${current.expiresAtMs ?? 'unknown'}; retry after it expires or is released`,
      options,
    );
    this.name = 'LeaseHeldError';
    this.leaseName = leaseName;
    this.holder = current.holder;
    this.token = current.token;
    this.expiresAtMs = current.expiresAtMs;
  }
}

/**
 * A renew or guarded state write found that the caller no longer holds the lease: it expired and
 * someone else acquired it (newer token), or it was released. Stop the protected work.
 */
export class LeaseLostError extends CoordinationError implements HolderInfo {
  public readonly leaseName: string;
  /** The token the caller believed it held. */
  public readonly heldToken: number;
  public readonly holder: string | undefined;
  public readonly token: number | undefined;
  public readonly expiresAtMs: number | undefined;
  public constructor(
    leaseName: string,
    heldToken: number,
    current: HolderInfo,
    options?: ErrorOptions,
  ) {
    super(
      `Lease ${leaseName} with token ${heldToken} is lost: now held by ${current.holder ?? 'nobody'} ` +
        `with token ${current.token ?? 'none'}; stop the work and acquire the lease again`,
      options,
    );
    this.name = 'LeaseLostError';
    this.leaseName = leaseName;
    this.heldToken = heldToken;
    this.holder = current.holder;
    this.token = current.token;
    this.expiresAtMs = current.expiresAtMs;
  }
}

/** A fenced write carried a token older than one already seen for that resource. */
export class StaleTokenError extends CoordinationError {
  public readonly resource: string;
  public readonly token: number;
  /** The newest token the resource has seen. */
  public readonly currentToken: number | undefined;
  public constructor(
    resource: string,
    token: number,
    currentToken: number | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `Write to ${resource} rejected: fencing token ${token} is older than token ${currentToken ?? 'unknown'} ` +
        'already seen there; the lease was taken over, so drop this write',
      options,
    );
    this.name = 'StaleTokenError';
    this.resource = resource;
    this.token = token;
    this.currentToken = currentToken;
  }
}

/** All `limit` slots of a semaphore are held. */
export class SemaphoreFullError extends CoordinationError {
  public readonly semaphore: string;
  public readonly limit: number;
  public readonly holders: readonly HolderInfo[];
  public constructor(semaphore: string, limit: number, holders: readonly HolderInfo[]) {
    const soonest = Math.min(...holders.map((h) => h.expiresAtMs ?? Number.POSITIVE_INFINITY));
    super(
      `Semaphore ${semaphore} is full: all ${limit} slots are held (earliest expiry ${soonest}); ` +
        'retry later or raise the limit',
    );
    this.name = 'SemaphoreFullError';
    this.semaphore = semaphore;
    this.limit = limit;
    this.holders = holders;
  }
}

/**
 * A Queue or Limit policy found the key busy. The worker runtime should retry the message later
 * (`retryAfterSeconds`) through the visibility timeout; it is not a failure of the message.
 */
export class KeyBusyError extends CoordinationError {
  public readonly key: string;
  public readonly retryAfterSeconds: number;
  public constructor(key: string, retryAfterSeconds: number, options?: ErrorOptions) {
    super(
      `Key ${key} is busy (concurrency limit reached); retry the message in ${retryAfterSeconds}s`,
      options,
    );
    this.name = 'KeyBusyError';
    this.key = key;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The same idempotency key arrived with a different payload. */
export class IdempotencyPayloadMismatchError extends CoordinationError {
  public readonly idempotencyKey: string;
  public readonly storedHash: string | undefined;
  public readonly receivedHash: string;
  public constructor(idempotencyKey: string, storedHash: string | undefined, receivedHash: string) {
    super(
      `Idempotency key ${idempotencyKey} was already used with a different payload ` +
        `(stored hash ${storedHash ?? 'none'}, received ${receivedHash}); use a new key for a new payload`,
    );
    this.name = 'IdempotencyPayloadMismatchError';
    this.idempotencyKey = idempotencyKey;
    this.storedHash = storedHash;
    this.receivedHash = receivedHash;
  }
}

/** The effect of a transactional idempotent write failed its own condition (not a duplicate). */
export class IdempotentEffectFailedError extends CoordinationError {
  public readonly idempotencyKey: string;
  /** Cancellation reason codes, one per transaction item (index 0 is the idempotency record). */
  public readonly reasons: readonly string[];
  public constructor(idempotencyKey: string, reasons: readonly string[], options?: ErrorOptions) {
    super(
      `Effect for idempotency key ${idempotencyKey} was cancelled (reasons: ${reasons.join(', ')}); ` +
        'the idempotency record was not written, so a retry will run it again',
      options,
    );
    this.name = 'IdempotentEffectFailedError';
    this.idempotencyKey = idempotencyKey;
    this.reasons = reasons;
  }
}

/** A schedule's cron expression cannot be evaluated; names the expression, the field and why. */
export class InvalidCronExpressionError extends CoordinationError {
  public readonly expression: string;
  public constructor(expression: string, reason: string, options?: ErrorOptions) {
    super(
      `Cron expression ${JSON.stringify(expression)} is not usable: ${reason}. Use EventBridge's six fields, cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 12 ? * MON-FRI *).`,
      options,
    );
    this.name = 'InvalidCronExpressionError';
    this.expression = expression;
  }
}

/**
 * A transactional idempotent write was aborted by its caller's signal before it committed (for
 * example because the worker abandoned the record at its deadline). Nothing was written by this
 * call unless the request had already reached DynamoDB, in which case a retry sees a duplicate.
 */
export class IdempotentEffectAbortedError extends CoordinationError {
  public readonly idempotencyKey: string;
  public constructor(idempotencyKey: string, options?: ErrorOptions) {
    super(
      `Effect for idempotency key ${idempotencyKey} was aborted before it committed; ` +
        'the caller gave up on it (deadline or shutdown) and a later delivery will apply it once',
      options,
    );
    this.name = 'IdempotentEffectAbortedError';
    this.idempotencyKey = idempotencyKey;
  }
}
