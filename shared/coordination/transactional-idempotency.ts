import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { type Clock, systemClock } from './clock.ts';
import {
  CoordinationError,
  IdempotencyPayloadMismatchError,
  IdempotentEffectAbortedError,
  IdempotentEffectFailedError,
} from './errors.ts';
import { CoordinationKeys } from './keys.ts';
import { assertPositiveInteger } from './lease.ts';
import { DEFAULT_IDEMPOTENCY_RETENTION_SECONDS } from './retention.ts';

/**
 * Idempotency for effects that are DynamoDB writes themselves: the idempotency record and the
 * effect commit in one TransactWriteItems. One round trip for a first delivery and for a
 * duplicate, no in-progress state, and the effect happens exactly once per key while the record
 * lives: either both the record and the effect are written, or neither.
 *
 * Our own code because Powertools' idempotency writes the record and runs the function in
 * separate steps (put in-progress, run, update), which is right for arbitrary side effects but
 * costs three requests and cannot make a DynamoDB effect atomic with its record.
 *
 * A duplicate gets the stored result back from the failed condition itself
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD` on the record's Put), without a second read.
 */

export const IdempotencyRecordAttributes = {
  payloadHash: 'payloadHash',
  result: 'result',
  expiresAtMs: 'expiresAtMs',
  ttl: CoordinationKeys.ttlAttribute,
} as const;

export type TransactionalIdempotencyOptions = {
  readonly tableName: string;
  /** Keeps records of different handlers apart. */
  readonly keyPrefix: string;
  /**
   * How long a record (and so exactly-once) lasts.
   * @default DEFAULT_IDEMPOTENCY_RETENTION_SECONDS (14 days, see retention.ts)
   */
  readonly expiresAfterSeconds?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Retries when concurrent duplicates collide (`TransactionConflict`). @default 8 */
  readonly maxConflictRetries?: number;
} & (
  | { readonly client?: DynamoDBClient; readonly clientConfig?: never }
  | { readonly client?: never; readonly clientConfig?: DynamoDBClientConfig }
);

export interface TransactionalRequest<R> {
  /** Idempotency key, e.g. the event id. */
  readonly key: string;
  /** Payload whose hash must match for a duplicate (a different payload is an error). */
  readonly payload: unknown;
  /** The effect: up to 99 transaction items (the record takes the 100th). */
  readonly effect: readonly TransactWriteItem[];
  /** Result stored with the record and returned to duplicates (JSON-serialisable). */
  readonly result: R;
}

export interface TransactionalRunOptions {
  /**
   * Aborts the commit: no attempt starts once it is aborted, and an attempt in flight is
   * cancelled (it may still have reached DynamoDB; then it is the one application and a retry
   * sees a duplicate).
   */
  readonly abortSignal?: AbortSignal;
}

export interface TransactionalOutcome<R> {
  /** True when this call was a duplicate and nothing was written. */
  readonly duplicate: boolean;
  readonly result: R;
}

/**
 * @example
 * const idem = new TransactionalIdempotency({ tableName, keyPrefix: 'orders' });
 * const { duplicate } = await idem.run({
 *   key: event.id,
 *   payload: event.detail,
 *   effect: [{ Update: { TableName: 'Balances', Key, UpdateExpression: 'ADD #b :amount', ... } }],
 *   result: { accepted: true },
 * });
 */
export class TransactionalIdempotency {
  public readonly client: DynamoDBClient;
  readonly #options: TransactionalIdempotencyOptions;
  readonly #clock: Clock;
  readonly #expiresAfterMs: number;

  public constructor(options: TransactionalIdempotencyOptions) {
    const expiresAfterSeconds =
      options.expiresAfterSeconds ?? DEFAULT_IDEMPOTENCY_RETENTION_SECONDS;
    assertPositiveInteger('expiresAfterSeconds', expiresAfterSeconds);
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#expiresAfterMs = expiresAfterSeconds * 1000;
    this.client = options.client ?? new DynamoDBClient(options.clientConfig ?? {});
  }

  /**
   * Commits the record and the effect together, or returns the stored result to a duplicate.
   *
   * @throws {IdempotencyPayloadMismatchError} when the key was used with a different payload.
   * @throws {IdempotentEffectFailedError} when an effect item's own condition failed.
   * @throws {IdempotentEffectAbortedError} when `abortSignal` was aborted first.
   */
  public async run<R>(
    request: TransactionalRequest<R>,
    options: TransactionalRunOptions = {},
  ): Promise<TransactionalOutcome<R>> {
    const { abortSignal } = options;
    assertEffectFits(request);
    const pk = CoordinationKeys.idempotency(this.#options.keyPrefix, request.key);
    const payloadHash = hashPayload(request.payload);
    const maxRetries = this.#options.maxConflictRetries ?? 8;
    for (let attempt = 0; ; attempt++) {
      if (abortSignal?.aborted) {
        throw new IdempotentEffectAbortedError(request.key, { cause: abortSignal.reason });
      }
      const record = this.#record(pk, payloadHash, request.result);
      try {
        await this.client.send(
          new TransactWriteItemsCommand({ TransactItems: [record, ...request.effect] }),
          abortSignal ? { abortSignal } : {},
        );
        return { duplicate: false, result: request.result };
      } catch (error) {
        if (abortSignal?.aborted) {
          throw new IdempotentEffectAbortedError(request.key, { cause: error });
        }
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const codes = reasons.map((r) => r.Code ?? 'None');
        if (codes.includes('TransactionConflict') && attempt < maxRetries) {
          // Concurrent duplicates collide on the record; the next attempt sees the winner's record.
          await sleep(Math.random() * 20 * 2 ** attempt);
          continue;
        }
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          const stored = reasons[0].Item ?? (await this.#read(pk));
          return this.#duplicate(request.key, payloadHash, stored);
        }
        throw new IdempotentEffectFailedError(request.key, codes, { cause: error });
      }
    }
  }

  /**
   * A `run` that commits the calls made while the event loop is busy with other work together:
   * everything called before the loop next gets to check for I/O goes into one TransactWriteItems
   * (several when the items pass 100), records and effects, all or nothing. Records of a batch
   * that run at once (a standard queue's) reach their commits in the same turn, so a batch of 50
   * commits in one request instead of 50.
   *
   * When the joint transaction fails for any reason (a duplicate among them, an effect's condition,
   * a conflict, two effects on one item, an abort), nothing of it was written and each call runs
   * on its own, as `run` would, so each gets its exact outcome. A call whose signal was aborted
   * first is not included (`IdempotentEffectAbortedError`).
   *
   * Our own code for the same reason as `run`: batching records, not the function around them.
   *
   * @example
   * const commit = idem.coalescing(); // one per invocation
   * await Promise.all(events.map((e) => commit({ key: e.id, payload: e.data, effect: effectOf(e), result: null })));
   */
  public coalescing(): CoalescedRun {
    let pending: PendingRun[] = [];
    const flush = () => {
      const due = pending;
      pending = [];
      for (const chunk of chunksOf(due)) void this.#runTogether(chunk);
    };
    return <R>(request: TransactionalRequest<R>, options: TransactionalRunOptions = {}) =>
      new Promise<TransactionalOutcome<R>>((resolve, reject) => {
        try {
          assertEffectFits(request);
        } catch (error) {
          reject(error);
          return;
        }
        pending.push({
          request,
          options,
          resolve: resolve as PendingRun['resolve'],
          reject,
        });
        if (pending.length === 1) setImmediate(flush);
      });
  }

  /**
   * Commits several keys' records and effects in one TransactWriteItems, all or nothing: for
   * effects that belong together and cannot be retried one by one, such as a run of one key's
   * events whose state update covers all of them (`coalescing` retries each call on its own).
   *
   * `applied: true`: every record and effect was written. `applied: false`: nothing was written
   * (or, after a lost answer, all of it was), and `duplicates` names the keys whose live record
   * made it fail: commit those on their own (each then gets its stored result). No duplicates
   * means an effect's condition failed or the transaction conflicted: the state the effects were
   * computed from moved, so compute them again.
   *
   * Our own code for the same reason as `run`.
   *
   * @throws {CoordinationError} when the records and effects pass 100 items.
   * @throws {IdempotentEffectAbortedError} when `abortSignal` was aborted first or in flight.
   * @example
   * const { applied } = await idem.runAll([
   *   { key: e1.id, payload: e1.data, effect: [stateUpdateToTwo, put(e1)], result: { ordinal: 1 } },
   *   { key: e2.id, payload: e2.data, effect: [put(e2)], result: { ordinal: 2 } },
   * ]);
   * if (!applied) for (const e of [e1, e2]) await idem.run(aloneRequest(e));
   */
  public async runAll(
    requests: readonly TransactionalRequest<unknown>[],
    options: TransactionalRunOptions = {},
  ): Promise<RunAllOutcome> {
    const { abortSignal } = options;
    const items = this.#jointItems(requests);
    if (items.length > MAX_TRANSACTION_ITEMS) {
      throw new CoordinationError(
        `Transactional idempotency for keys ${requests.map((r) => r.key).join(', ')}: ` +
          `${items.length} records and effect items, at most ${MAX_TRANSACTION_ITEMS} fit one TransactWriteItems; commit fewer together`,
      );
    }
    if (abortSignal?.aborted) {
      throw new IdempotentEffectAbortedError(requests[0]?.key ?? '', { cause: abortSignal.reason });
    }
    try {
      await this.client.send(
        new TransactWriteItemsCommand({ TransactItems: items }),
        abortSignal ? { abortSignal } : {},
      );
      return { applied: true };
    } catch (error) {
      if (abortSignal?.aborted) {
        throw new IdempotentEffectAbortedError(requests[0]?.key ?? '', { cause: error });
      }
      if (!(error instanceof TransactionCanceledException))
        return { applied: false, duplicates: [] };
      // Reasons come in the items' order: each request's record, then its effect.
      const reasons = error.CancellationReasons ?? [];
      const duplicates: string[] = [];
      let index = 0;
      for (const request of requests) {
        if (reasons[index]?.Code === 'ConditionalCheckFailed') duplicates.push(request.key);
        index += 1 + request.effect.length;
      }
      return { applied: false, duplicates };
    }
  }

  /** Each request's record followed by its effect, in order: one transaction's items. */
  #jointItems(requests: readonly TransactionalRequest<unknown>[]): TransactWriteItem[] {
    return requests.flatMap((request) => [
      this.#record(
        CoordinationKeys.idempotency(this.#options.keyPrefix, request.key),
        hashPayload(request.payload),
        request.result,
      ),
      ...request.effect,
    ]);
  }

  async #runTogether(chunk: readonly PendingRun[]): Promise<void> {
    const live = chunk.filter((entry) => {
      const signal = entry.options.abortSignal;
      if (!signal?.aborted) return true;
      entry.reject(new IdempotentEffectAbortedError(entry.request.key, { cause: signal.reason }));
      return false;
    });
    const alone = (entry: PendingRun) =>
      this.run(entry.request, entry.options).then(entry.resolve, entry.reject);
    if (live.length <= 1) {
      await Promise.all(live.map(alone));
      return;
    }
    const signals = live.flatMap((entry) =>
      entry.options.abortSignal ? [entry.options.abortSignal] : [],
    );
    const applied = await this.runAll(
      live.map((entry) => entry.request),
      signals.length > 0 ? { abortSignal: AbortSignal.any(signals) } : {},
    ).then(
      (outcome) => outcome.applied,
      () => false,
    );
    if (!applied) {
      // Nothing of the joint transaction was written (or, after an abort or a lost answer, all
      // of it was, and each call then finds its record): each goes on its own.
      await Promise.all(live.map(alone));
      return;
    }
    for (const entry of live) entry.resolve({ duplicate: false, result: entry.request.result });
  }

  /** The idempotency record's Put: fails when a live record of the key exists. */
  #record(pk: string, payloadHash: string, result: unknown): TransactWriteItem {
    const nowMs = this.#clock.nowMs();
    const expiresAtMs = nowMs + this.#expiresAfterMs;
    return {
      Put: {
        TableName: this.#options.tableName,
        Item: {
          [CoordinationKeys.partitionKey]: { S: pk },
          [IdempotencyRecordAttributes.payloadHash]: { S: payloadHash },
          [IdempotencyRecordAttributes.result]: { S: JSON.stringify(result ?? null) },
          [IdempotencyRecordAttributes.expiresAtMs]: { N: String(expiresAtMs) },
          [IdempotencyRecordAttributes.ttl]: { N: String(Math.ceil(expiresAtMs / 1000)) },
        },
        // Expiry is checked here, against our clock; TTL deletion only collects garbage.
        ConditionExpression: 'attribute_not_exists(#pk) OR #exp < :now',
        ExpressionAttributeNames: {
          '#pk': CoordinationKeys.partitionKey,
          '#exp': IdempotencyRecordAttributes.expiresAtMs,
        },
        ExpressionAttributeValues: { ':now': { N: String(nowMs) } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  #duplicate<R>(
    key: string,
    payloadHash: string,
    stored: Record<string, AttributeValue> | undefined,
  ): TransactionalOutcome<R> {
    const storedHash = stored?.[IdempotencyRecordAttributes.payloadHash]?.S;
    if (storedHash !== payloadHash) {
      throw new IdempotencyPayloadMismatchError(key, storedHash, payloadHash);
    }
    const result = stored?.[IdempotencyRecordAttributes.result]?.S;
    return { duplicate: true, result: (result === undefined ? null : JSON.parse(result)) as R };
  }

  // Fallback only for stores that do not return the item with the cancellation reason.
  async #read(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.#options.tableName,
        Key: { [CoordinationKeys.partitionKey]: { S: pk } },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }
}

/** What `runAll` did: all applied, or nothing, and which keys were duplicates. */
export type RunAllOutcome =
  | { readonly applied: true }
  | {
      readonly applied: false;
      /** Keys whose live record failed the transaction; empty: an effect's condition or a conflict. */
      readonly duplicates: readonly string[];
    };

/** `run`'s signature: what `coalescing()` returns. */
export type CoalescedRun = <R>(
  request: TransactionalRequest<R>,
  options?: TransactionalRunOptions,
) => Promise<TransactionalOutcome<R>>;

interface PendingRun {
  readonly request: TransactionalRequest<unknown>;
  readonly options: TransactionalRunOptions;
  readonly resolve: (outcome: TransactionalOutcome<unknown>) => void;
  readonly reject: (error: unknown) => void;
}

/** TransactWriteItems takes up to 100 items. */
const MAX_TRANSACTION_ITEMS = 100;

function assertEffectFits(request: TransactionalRequest<unknown>): void {
  if (request.effect.length > MAX_TRANSACTION_ITEMS - 1) {
    throw new CoordinationError(
      `Transactional idempotency for key ${request.key}: effect has ${request.effect.length} items, ` +
        'at most 99 fit next to the record (TransactWriteItems takes 100); split the effect',
    );
  }
}

/** Consecutive runs whose records and effects fit one transaction together. */
function chunksOf(runs: readonly PendingRun[]): PendingRun[][] {
  const chunks: PendingRun[][] = [];
  let current: PendingRun[] = [];
  let items = 0;
  for (const entry of runs) {
    const size = 1 + entry.request.effect.length;
    if (items + size > MAX_TRANSACTION_ITEMS && current.length > 0) {
      chunks.push(current);
      current = [];
      items = 0;
    }
    current.push(entry);
    items += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** SHA-256 of the payload's JSON with object keys sorted, so key order does not matter. */
export function hashPayload(payload: unknown): string {
  return createHash('sha256').update(stableJson(payload)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
