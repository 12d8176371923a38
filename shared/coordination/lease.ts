import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Clock, systemClock } from './clock.ts';
import {
  CoordinationConfigError,
  CoordinationError,
  type HolderInfo,
  LeaseHeldError,
  LeaseLostError,
} from './errors.ts';

/**
 * Leases with fencing tokens.
 *
 * ## How it works
 * A lease is one item. `acquire` is a single conditional UpdateItem that succeeds when the item is
 * absent, released, or its stored `expiresAtMs` is before the caller's clock, and in the same write
 * increments the item's `token` counter: every acquisition gets a fencing token strictly greater than
 * all earlier tokens for that name. A failed acquire returns the current holder from the failed
 * condition itself (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), with no second read.
 * `renew` and `release` are conditional on `holder` and `token`, so only the current holder can
 * extend or give up the lease. Expiry never depends on DynamoDB TTL: `ttl` is only set so that
 * abandoned lease items are eventually collected.
 *
 * ## Clock assumption and tolerated skew
 * Expiry compares the holder's clock (it stored `expiresAtMs = start + durationMs`) with the
 * contender's clock (`nowMs` in the condition). A contender whose clock runs `s` ms ahead of the
 * holder's takes over `s` ms early. The holder therefore treats its lease as valid only until
 * `validUntilMs = start - clockSkewToleranceMs + durationMs`, where `start` is read *before* the
 * request is sent: as long as clocks differ by less than `clockSkewToleranceMs` (default: 1 s, or a
 * tenth of the duration if shorter) no two holders both believe they hold the lease. Lambda hosts
 * use Amazon Time Sync, whose error is far below that.
 *
 * If the assumption breaks (a larger skew, or a holder paused by GC or a frozen Lambda sandbox
 * past its `validUntilMs`), two processes may briefly both act. Correctness then rests on the
 * fencing token: downstream writes made with {@link FencedWriter} (or {@link LeaseStore.writeState})
 * are rejected once a newer token was seen, so the stale holder cannot overwrite newer work.
 *
 * ## Waiting for a lease (failover)
 * A standby that polls on a fixed interval takes over up to one interval after the holder's
 * lease ran out (plus its request latency): with a poll every 5 % of the duration, failover took
 * 1.15x the duration on average and 1.45x at worst. {@link LeaseStore.acquireWhenFree} instead
 * reads the holder's `expiresAtMs` from each failed attempt (it comes back with the failed
 * condition, no extra read) and sleeps until 1 ms after it, by its own clock, so the next
 * attempt is the first one that can succeed; it wakes at least every `maxPollMs` to notice an
 * early release. Safety is unchanged: every attempt is the same conditional acquire.
 *
 * ## Tokens and garbage collection
 * A new lease item starts its counter at `acquire time in ms x 1000`, not 0. If TTL collected an
 * abandoned item (only `gcGraceSeconds` after its expiry), a re-created item still issues tokens
 * larger than any issued before, as long as clocks are not off by more than the grace period and
 * fewer than 1,000 acquisitions per millisecond happened - both far outside practical bounds.
 * Tokens stay below `Number.MAX_SAFE_INTEGER` until the year 2255.
 */

/** A lease item as stored. `state` holds the numeric attributes users attach (schedule state). */
export interface LeaseRecord extends HolderInfo {
  readonly name: string;
  readonly state: Readonly<Record<string, number>>;
}

/** A held lease. Immutable: `renew` returns a new handle. */
export interface Lease {
  readonly name: string;
  readonly owner: string;
  /** Fencing token: strictly increases with every acquisition of this lease name. */
  readonly token: number;
  readonly durationMs: number;
  /** Stored expiry (holder's clock). */
  readonly expiresAtMs: number;
  /** Until when this holder may act, skew tolerance already subtracted (holder's clock). */
  readonly validUntilMs: number;
  /** Numeric state attributes on the lease item, as returned by the last write. */
  readonly state: Readonly<Record<string, number>>;
}

/** Persistence request for an acquisition (computed by the base class). */
export interface AcquireRequest {
  readonly name: string;
  readonly owner: string;
  readonly nowMs: number;
  readonly expiresAtMs: number;
  readonly gcAtSeconds: number;
  /** Counter start for a new item (see "Tokens and garbage collection"). */
  readonly tokenBase: number;
}

/** Persistence request for a write that only the current holder may make. */
export interface HolderRequest {
  readonly name: string;
  readonly owner: string;
  readonly token: number;
}

/** Result of a conditional persistence call: the item after the write, or the item that blocked it. */
export type ConditionalOutcome =
  | { readonly ok: true; readonly record: LeaseRecord }
  | { readonly ok: false; readonly current: LeaseRecord | undefined };

/** Options shared by every lease operation. */
export interface LeaseStoreOptions {
  /** @default systemClock */
  readonly clock?: Clock;
  /** Owner id written as `holder`. @default `<hostname>/<pid>/<random>` */
  readonly owner?: string;
  /** Lease duration when `acquire` is not given one. @default 30_000 */
  readonly defaultDurationMs?: number;
  /** Clock difference between processes that leases tolerate. @default min(1000, durationMs / 10) */
  readonly clockSkewToleranceMs?: number;
  /** How long after expiry TTL may delete an abandoned lease item. @default 604_800 (7 days) */
  readonly gcGraceSeconds?: number;
  /**
   * How {@link LeaseStore.acquireWhenFree} waits between attempts (tests pass one that moves a
   * ManualClock). @default - setTimeout
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Per-call options of {@link LeaseStore.acquire}. */
export interface AcquireOptions {
  /** @default the store's `defaultDurationMs` */
  readonly durationMs?: number;
  /** @default the store's `owner` */
  readonly owner?: string;
}

/** Options of {@link LeaseStore.acquireWhenFree}. */
export interface WaitAcquireOptions extends AcquireOptions {
  /** Give up after this long (by this store's clock). @default 3 x durationMs */
  readonly timeoutMs?: number;
  /**
   * Longest sleep between attempts, so a lease released before its expiry is noticed.
   * @default max(50, durationMs / 4)
   */
  readonly maxPollMs?: number;
  /** Stops waiting (rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/** What {@link LeaseStore.runExclusive} passes to the protected work. */
export interface ExclusiveContext {
  /** The lease as of the last successful renewal. */
  lease(): Lease;
  /** Aborted (with a {@link LeaseLostError} as reason) when the lease is lost or lapses. */
  readonly signal: AbortSignal;
}

/** Options of {@link LeaseStore.runExclusive}. */
export interface RunExclusiveOptions extends AcquireOptions {
  /** Heartbeat interval. @default durationMs / 3 */
  readonly renewEveryMs?: number;
}

const DEFAULT_DURATION_MS = 30_000;
const DEFAULT_GC_GRACE_SECONDS = 7 * 24 * 3600;

/** A process-unique owner id. */
export function defaultOwner(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * Lease policy: validation, expiry arithmetic with the injected clock, typed errors, heartbeats.
 * Subclasses only turn the requests into storage calls (see `DynamoDBLeaseStore`).
 *
 * @example
 * const leases = new DynamoDBLeaseStore({ tableName: requireEnv('COORDINATION_TABLE_NAME') });
 * await leases.runExclusive('nightly-report', async ({ lease, signal }) => {
 *   await writer.update(reportWrite, lease().token); // rejected if a newer holder wrote first
 * });
 */
export abstract class LeaseStore {
  public readonly clock: Clock;
  public readonly owner: string;
  public readonly defaultDurationMs: number;
  readonly #skewToleranceMs: number | undefined;
  readonly #gcGraceSeconds: number;
  readonly #sleep: (ms: number) => Promise<void>;

  protected constructor(options: LeaseStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.owner = options.owner ?? defaultOwner();
    this.defaultDurationMs = options.defaultDurationMs ?? DEFAULT_DURATION_MS;
    this.#skewToleranceMs = options.clockSkewToleranceMs;
    this.#gcGraceSeconds = options.gcGraceSeconds ?? DEFAULT_GC_GRACE_SECONDS;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    assertPositiveInteger('defaultDurationMs', this.defaultDurationMs);
    assertNonNegativeInteger('gcGraceSeconds', this.#gcGraceSeconds);
    if (this.#skewToleranceMs !== undefined) {
      assertNonNegativeInteger('clockSkewToleranceMs', this.#skewToleranceMs);
    }
    if (this.owner.length === 0)
      throw new CoordinationConfigError('owner', '""', 'must not be empty');
  }

  /** Conditional acquire: absent, released or expired before `nowMs`; increments `token`. */
  protected abstract acquireRecord(request: AcquireRequest): Promise<ConditionalOutcome>;
  /** Sets the new expiry if `holder`/`token` still match. */
  protected abstract renewRecord(
    request: HolderRequest & { readonly expiresAtMs: number; readonly gcAtSeconds: number },
  ): Promise<ConditionalOutcome>;
  /** Ends the lease now (expiry 0, holder removed) if `holder`/`token` still match; keeps `token`. */
  protected abstract releaseRecord(request: HolderRequest): Promise<ConditionalOutcome>;
  /** Sets numeric state attributes if `holder`/`token` still match. */
  protected abstract writeStateRecord(
    request: HolderRequest & { readonly values: Readonly<Record<string, number>> },
  ): Promise<ConditionalOutcome>;
  /** Raises one numeric state attribute to `value` unless it is already >= `value`; any caller. */
  protected abstract raiseStateRecord(request: {
    readonly name: string;
    readonly attribute: string;
    readonly value: number;
    readonly gcAtSeconds: number;
  }): Promise<boolean>;
  /** Strongly consistent read of the lease item. */
  protected abstract readRecord(name: string): Promise<LeaseRecord | undefined>;

  /** Acquires `name` or returns the current holder's record; does not throw when held. */
  public async tryAcquire(
    name: string,
    options: AcquireOptions = {},
  ): Promise<
    { lease: Lease; current?: never } | { lease?: never; current: LeaseRecord | undefined }
  > {
    assertName(name);
    const durationMs = options.durationMs ?? this.defaultDurationMs;
    assertPositiveInteger('durationMs', durationMs);
    const skewMs = this.#skewFor(durationMs);
    const owner = options.owner ?? this.owner;
    const nowMs = this.clock.nowMs();
    const expiresAtMs = nowMs + durationMs;
    const outcome = await this.acquireRecord({
      name,
      owner,
      nowMs,
      expiresAtMs,
      gcAtSeconds: this.#gcAt(expiresAtMs),
      tokenBase: nowMs * 1000,
    });
    if (!outcome.ok) return { current: outcome.current };
    const token = outcome.record.token;
    if (token === undefined) {
      throw new CoordinationError(`Lease ${name} was acquired but the store returned no token`);
    }
    return {
      lease: {
        name,
        owner,
        token,
        durationMs,
        expiresAtMs,
        validUntilMs: expiresAtMs - skewMs,
        state: outcome.record.state,
      },
    };
  }

  /**
   * Acquires `name`: succeeds when the lease is free, released, or expired by this store's clock.
   *
   * @throws {LeaseHeldError} with the current holder, token and expiry when someone else holds it.
   * @example
   * const lease = await leases.acquire('reconciler', { durationMs: 15_000 });
   */
  public async acquire(name: string, options: AcquireOptions = {}): Promise<Lease> {
    const result = await this.tryAcquire(name, options);
    if (result.lease) return result.lease;
    throw new LeaseHeldError(name, result.current ?? emptyHolder());
  }

  /**
   * Acquires `name` as soon as it is free: when held, sleeps until just after the holder's
   * stored expiry (or `maxPollMs`, whichever is sooner) and tries again; a renewing holder
   * pushes the next attempt to its new expiry. For standbys of a singleton, which then take over
   * within the request latency of the holder's lease running out.
   *
   * @throws {LeaseHeldError} with the current holder when `timeoutMs` passes first
   * @example
   * const lease = await leases.acquireWhenFree('reconciler', { durationMs: 15_000, timeoutMs: 60_000 });
   */
  public async acquireWhenFree(name: string, options: WaitAcquireOptions = {}): Promise<Lease> {
    const durationMs = options.durationMs ?? this.defaultDurationMs;
    const timeoutMs = options.timeoutMs ?? 3 * durationMs;
    const maxPollMs = options.maxPollMs ?? Math.max(50, Math.floor(durationMs / 4));
    assertPositiveInteger('timeoutMs', timeoutMs);
    assertPositiveInteger('maxPollMs', maxPollMs);
    const deadlineMs = this.clock.nowMs() + timeoutMs;
    for (;;) {
      options.signal?.throwIfAborted();
      const result = await this.tryAcquire(name, options);
      if (result.lease) return result.lease;
      const nowMs = this.clock.nowMs();
      if (nowMs >= deadlineMs) throw new LeaseHeldError(name, result.current ?? emptyHolder());
      // The acquire condition is `expiresAtMs < now`: the first instant it can pass is +1 ms.
      const untilFreeMs = (result.current?.expiresAtMs ?? nowMs) + 1 - nowMs;
      await this.#sleep(Math.max(1, Math.min(untilFreeMs, maxPollMs, deadlineMs - nowMs)));
    }
  }

  /**
   * Extends the lease by its duration from now. Allowed after local expiry as long as nobody
   * acquired the lease in between (the token is unchanged, so no newer holder exists).
   *
   * @throws {LeaseLostError} when the lease was released or taken over.
   */
  public async renew(lease: Lease): Promise<Lease> {
    const nowMs = this.clock.nowMs();
    const expiresAtMs = nowMs + lease.durationMs;
    const outcome = await this.renewRecord({
      name: lease.name,
      owner: lease.owner,
      token: lease.token,
      expiresAtMs,
      gcAtSeconds: this.#gcAt(expiresAtMs),
    });
    if (!outcome.ok)
      throw new LeaseLostError(lease.name, lease.token, outcome.current ?? emptyHolder());
    return {
      ...lease,
      expiresAtMs,
      validUntilMs: expiresAtMs - this.#skewFor(lease.durationMs),
      state: outcome.record.state,
    };
  }

  /** Releases the lease so others can acquire it at once. Returns false if it was already lost. */
  public async release(lease: Lease): Promise<boolean> {
    const outcome = await this.releaseRecord({
      name: lease.name,
      owner: lease.owner,
      token: lease.token,
    });
    return outcome.ok;
  }

  /**
   * Writes numeric state onto the lease item, fenced by the lease: rejected once the lease was
   * taken over. Returns the lease with the new state.
   *
   * @throws {LeaseLostError} when the caller no longer holds the lease.
   */
  public async writeState(lease: Lease, values: Readonly<Record<string, number>>): Promise<Lease> {
    for (const key of Object.keys(values)) assertStateAttribute(key);
    const outcome = await this.writeStateRecord({
      name: lease.name,
      owner: lease.owner,
      token: lease.token,
      values,
    });
    if (!outcome.ok)
      throw new LeaseLostError(lease.name, lease.token, outcome.current ?? emptyHolder());
    return { ...lease, state: outcome.record.state };
  }

  /**
   * Raises a numeric state attribute of lease `name` to `value` (never lowers it). Needs no lease:
   * used by non-holders to leave a note for the holder (e.g. "a trigger for window W arrived").
   * Returns true if the value was raised.
   */
  public async raiseState(name: string, attribute: string, value: number): Promise<boolean> {
    assertName(name);
    assertStateAttribute(attribute);
    return this.raiseStateRecord({
      name,
      attribute,
      value,
      gcAtSeconds: this.#gcAt(this.clock.nowMs()),
    });
  }

  /** Reads the lease item (strongly consistent), or `undefined` if it never existed. */
  public async read(name: string): Promise<LeaseRecord | undefined> {
    assertName(name);
    return this.readRecord(name);
  }

  /** Whether `lease` may still act by this store's clock (before `validUntilMs`). */
  public isValid(lease: Lease): boolean {
    return this.clock.nowMs() < lease.validUntilMs;
  }

  /**
   * Runs `work` under the lease: acquires, renews every `renewEveryMs` while `work` runs, aborts
   * `signal` when the lease is lost or lapses, and releases at the end.
   *
   * @throws {LeaseHeldError} when the lease is held by someone else (work does not run).
   * @example
   * await leases.runExclusive('cleanup', async ({ lease, signal }) => {
   *   for (const batch of batches) {
   *     if (signal.aborted) return;
   *     await writer.update(batch, lease().token);
   *   }
   * }, { durationMs: 10_000 });
   */
  public async runExclusive<T>(
    name: string,
    work: (context: ExclusiveContext) => Promise<T>,
    options: RunExclusiveOptions = {},
  ): Promise<T> {
    let lease = await this.acquire(name, options);
    const renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(lease.durationMs / 3));
    assertPositiveInteger('renewEveryMs', renewEveryMs);
    const controller = new AbortController();
    let renewing = false;
    // Heartbeats use real timers (not the injected clock): they pace requests, they decide nothing.
    const timer = setInterval(() => {
      if (renewing || controller.signal.aborted) return;
      renewing = true;
      this.renew(lease)
        .then((renewed) => {
          lease = renewed;
        })
        .catch((error: unknown) => {
          if (error instanceof LeaseLostError) controller.abort(error);
          else if (!this.isValid(lease)) {
            // Renewals keep failing (network) and the lease lapsed locally: stop acting.
            controller.abort(
              new LeaseLostError(name, lease.token, emptyHolder(), { cause: error }),
            );
          }
        })
        .finally(() => {
          renewing = false;
        });
    }, renewEveryMs);
    try {
      return await work({ lease: () => lease, signal: controller.signal });
    } finally {
      clearInterval(timer);
      if (!controller.signal.aborted) await this.release(lease).catch(() => false);
    }
  }

  #skewFor(durationMs: number): number {
    const skewMs = this.#skewToleranceMs ?? Math.min(1000, Math.floor(durationMs / 10));
    if (skewMs >= durationMs) {
      throw new CoordinationConfigError(
        'clockSkewToleranceMs',
        skewMs,
        `must be smaller than the lease duration ${durationMs} ms`,
      );
    }
    return skewMs;
  }

  #gcAt(expiresAtMs: number): number {
    return Math.ceil(expiresAtMs / 1000) + this.#gcGraceSeconds;
  }
}

/** Attribute names that state may not overwrite. */
const RESERVED_ATTRIBUTES = new Set([
  'pk',
  'holder',
  'token',
  'expiresAtMs',
  'acquiredAtMs',
  'ttl',
]);

function assertStateAttribute(attribute: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(attribute) || RESERVED_ATTRIBUTES.has(attribute)) {
    throw new CoordinationConfigError(
      'state attribute',
      attribute,
      `must match [A-Za-z][A-Za-z0-9_]* and not be one of ${[...RESERVED_ATTRIBUTES].join(', ')}`,
    );
  }
}

function assertName(name: string): void {
  if (name.length === 0 || name.length > 512) {
    throw new CoordinationConfigError(
      'lease name',
      JSON.stringify(name),
      'must be 1..512 characters',
    );
  }
}

export function assertPositiveInteger(option: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new CoordinationConfigError(option, value, 'must be a positive integer');
  }
}

export function assertNonNegativeInteger(option: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CoordinationConfigError(option, value, 'must be a non-negative integer');
  }
}

function emptyHolder(): HolderInfo {
  return { holder: undefined, token: undefined, expiresAtMs: undefined };
}
