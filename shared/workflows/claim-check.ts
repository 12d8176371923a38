import { createHash } from 'node:crypto';
import {
  ClaimCheckIntegrityError,
  ClaimCheckNotFoundError,
  WorkflowConfigError,
} from './errors.ts';
import { jsonByteSize, PAYLOAD_LIMITS } from './payload.ts';

/** The reference left in workflow state in place of a large value. */
export interface ClaimCheckRef {
  readonly claimCheck: {
    /** Store key; content-addressed (`claim#<sha256>`), so storing twice is harmless. */
    readonly key: string;
    /** Size of the value's JSON in bytes. */
    readonly bytes: number;
    /** SHA-256 (hex) of the value's JSON, checked again on load. */
    readonly sha256: string;
  };
}

/** Where claim-checked values live. Implementations only move bytes; policy stays in ClaimCheck. */
export interface ClaimCheckStore {
  /** Stores `body` under `key`, kept at least `ttlSeconds`. */
  put(key: string, body: string, ttlSeconds: number): Promise<void>;
  /** The stored body, or `undefined` when nothing is stored under `key`. */
  get(key: string): Promise<string | undefined>;
}

export interface ClaimCheckOptions {
  readonly store: ClaimCheckStore;
  /**
   * Values whose JSON is larger than this many bytes are stored and passed by reference.
   * @default 16384 (PAYLOAD_LIMITS.DEFAULT_THRESHOLD_BYTES)
   */
  readonly thresholdBytes?: number;
  /**
   * How long stored values are kept; must outlive the longest workflow that reads them.
   * @default 604800 (7 days)
   */
  readonly ttlSeconds?: number;
}

/** Key prefix of claim-check items. */
export const CLAIM_CHECK_PREFIX = 'claim#';

/**
 * Claim check (enterprise integration pattern): values above a threshold are stored and replaced
 * in workflow state by a small reference, so no state input or output approaches the 256 KB
 * limit (`States.DataLimitExceeded` cannot always be caught). References are content-addressed,
 * so a redelivered event produces the same reference and the same execution input.
 *
 * @example
 * const claimCheck = new ClaimCheck({ store: new DynamoDbClaimCheckStore({ tableName }) });
 * const lines = await claimCheck.offload(order.lines); // the value, or { claimCheck: {...} }
 * const same = await claimCheck.resolve(lines);        // always the value
 */
export class ClaimCheck {
  public readonly thresholdBytes: number;
  public readonly ttlSeconds: number;
  readonly #store: ClaimCheckStore;

  public constructor(options: ClaimCheckOptions) {
    const thresholdBytes = options.thresholdBytes ?? PAYLOAD_LIMITS.DEFAULT_THRESHOLD_BYTES;
    const ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
    if (
      !Number.isInteger(thresholdBytes) ||
      thresholdBytes < 1 ||
      thresholdBytes >= PAYLOAD_LIMITS.STATE_BYTES
    ) {
      throw new WorkflowConfigError(
        'thresholdBytes',
        thresholdBytes,
        `must be an integer between 1 and ${PAYLOAD_LIMITS.STATE_BYTES - 1}; pick a value well below the state limit`,
      );
    }
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60) {
      throw new WorkflowConfigError(
        'ttlSeconds',
        ttlSeconds,
        'must be an integer of at least 60 and outlive the longest workflow',
      );
    }
    this.#store = options.store;
    this.thresholdBytes = thresholdBytes;
    this.ttlSeconds = ttlSeconds;
  }

  /** True when `value` is a claim-check reference. */
  public static isRef(value: unknown): value is ClaimCheckRef {
    if (typeof value !== 'object' || value === null || !('claimCheck' in value)) return false;
    const ref = (value as { claimCheck: unknown }).claimCheck;
    return (
      typeof ref === 'object' &&
      ref !== null &&
      typeof (ref as Record<string, unknown>).key === 'string' &&
      typeof (ref as Record<string, unknown>).sha256 === 'string'
    );
  }

  /** Returns `value` itself when small enough, else stores it and returns a reference. */
  public async offload<T>(value: T): Promise<T | ClaimCheckRef> {
    if (value === undefined || jsonByteSize(value) <= this.thresholdBytes) return value;
    return this.store(value);
  }

  /** Stores `value` whatever its size and returns its reference. */
  public async store(value: unknown): Promise<ClaimCheckRef> {
    const body = JSON.stringify(value);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const key = `${CLAIM_CHECK_PREFIX}${sha256}`;
    await this.#store.put(key, body, this.ttlSeconds);
    return { claimCheck: { key, bytes: Buffer.byteLength(body, 'utf8'), sha256 } };
  }

  /**
   * Returns the value behind a reference (checking its digest), or `value` itself when it is
   * not a reference.
   * @throws ClaimCheckNotFoundError when the stored value is gone
   * @throws ClaimCheckIntegrityError when the stored value does not match the reference
   */
  public async resolve<T>(value: T | ClaimCheckRef): Promise<T> {
    if (!ClaimCheck.isRef(value)) return value as T;
    const { key, sha256 } = value.claimCheck;
    const body = await this.#store.get(key);
    if (body === undefined) throw new ClaimCheckNotFoundError(key);
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== sha256) throw new ClaimCheckIntegrityError(key, sha256, actual);
    return JSON.parse(body) as T;
  }
}

/** An in-process store for unit tests of code that uses claim checks (no AWS). */
export class InMemoryClaimCheckStore implements ClaimCheckStore {
  public readonly items = new Map<string, string>();
  public async put(key: string, body: string): Promise<void> {
    this.items.set(key, body);
  }
  public async get(key: string): Promise<string | undefined> {
    return this.items.get(key);
  }
}
