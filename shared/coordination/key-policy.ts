import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CoordinationConfigError, KeyBusyError, LeaseLostError } from './errors.ts';
import { assertPositiveInteger, type Lease, type LeaseStore } from './lease.ts';
import { type Permit, Semaphore } from './semaphore.ts';

/**
 * Per-key concurrency policies for the worker runtime.
 *
 * - `skip`: if a run for the key is active, acknowledge the message without running it
 *   (outcome `skipped`, metric `KeyRunSkipped`).
 * - `queue`: if a run for the key is active, throw {@link KeyBusyError}; the worker retries the
 *   message later through its visibility timeout ({@link planQueueRetry}), never via the DLQ.
 * - `limit`: at most `max` concurrent runs per key across all workers (a {@link Semaphore} of
 *   leases, so a crashed worker's slot returns after `leaseDurationMs`); when full, like `queue`.
 */
export type KeyPolicy =
  | { readonly kind: 'skip' }
  | { readonly kind: 'queue' }
  | { readonly kind: 'limit'; readonly max: number };

/** Policy constructors. */
export const KeyPolicies = {
  skip: (): KeyPolicy => ({ kind: 'skip' }),
  queue: (): KeyPolicy => ({ kind: 'queue' }),
  limit: (max: number): KeyPolicy => ({ kind: 'limit', max }),
} as const;

export type KeyRunOutcome<T> =
  | { readonly status: 'completed'; readonly result: T; readonly token: number }
  | { readonly status: 'skipped'; readonly key: string };

export interface KeyConcurrencyOptions {
  readonly store: LeaseStore;
  readonly policy: KeyPolicy;
  /** Name that keeps this job's keys apart from other jobs'. */
  readonly job: string;
  /** Slot lease duration; renewed every third of it while the run lasts. @default store default */
  readonly leaseDurationMs?: number;
  /** Base of the retry delay suggested with {@link KeyBusyError}. @default 2 */
  readonly retryBaseSeconds?: number;
  /** Metrics to count skipped and queued runs on. @default - no metrics */
  readonly metrics?: Metrics;
}

/**
 * Runs work for a key under the configured policy.
 *
 * @example
 * const perCustomer = new KeyConcurrency({ store: leases, job: 'orders', policy: KeyPolicies.limit(3) });
 * const outcome = await perCustomer.run(order.customerId, () => processOrder(order));
 */
export class KeyConcurrency {
  readonly #semaphore: Semaphore;
  readonly #options: KeyConcurrencyOptions;

  public constructor(options: KeyConcurrencyOptions) {
    const { policy } = options;
    if (policy.kind === 'limit') assertPositiveInteger('policy.max', policy.max);
    else if (policy.kind !== 'skip' && policy.kind !== 'queue') {
      throw new CoordinationConfigError(
        'policy.kind',
        (policy as { kind: unknown }).kind,
        "must be 'skip', 'queue' or 'limit'",
      );
    }
    if (options.retryBaseSeconds !== undefined) {
      assertPositiveInteger('retryBaseSeconds', options.retryBaseSeconds);
    }
    this.#options = options;
    this.#semaphore = new Semaphore(options.store, {
      limit: policy.kind === 'limit' ? policy.max : 1,
      prefix: `key#${options.job}`,
    });
  }

  /**
   * Runs `work` if the policy allows it now.
   *
   * @param attempt - the message's receive count, to grow the suggested retry delay.
   * @throws {KeyBusyError} for `queue` and `limit` when the key is at its limit.
   */
  public async run<T>(
    key: string,
    work: (permit: () => Lease) => Promise<T>,
    attempt = 1,
  ): Promise<KeyRunOutcome<T>> {
    const { store, policy, metrics, leaseDurationMs } = this.#options;
    const acquired = await this.#semaphore.tryAcquire(
      key,
      leaseDurationMs === undefined ? {} : { durationMs: leaseDurationMs },
    );
    if (!acquired.permit) {
      if (policy.kind === 'skip') {
        metrics?.addMetric('KeyRunSkipped', MetricUnit.Count, 1);
        return { status: 'skipped', key };
      }
      metrics?.addMetric('KeyRunQueued', MetricUnit.Count, 1);
      const nowMs = store.clock.nowMs();
      const soonestMs = Math.min(...acquired.holders.map((h) => (h.expiresAtMs ?? nowMs) - nowMs));
      const backoff = planQueueRetry({ attempt, baseSeconds: this.#options.retryBaseSeconds });
      // Never suggest waiting longer than until the earliest slot lease expires.
      const untilFreeSeconds = Math.max(1, Math.ceil(soonestMs / 1000));
      throw new KeyBusyError(key, Math.min(backoff.delaySeconds, Math.max(untilFreeSeconds, 1)));
    }
    let permit: Permit = acquired.permit;
    const renewEveryMs = Math.max(1, Math.floor(permit.durationMs / 3));
    let lost: unknown;
    const timer = setInterval(() => {
      this.#semaphore.renew(permit).then(
        (renewed) => {
          permit = renewed;
        },
        (error: unknown) => {
          if (error instanceof LeaseLostError) lost = error;
        },
      );
    }, renewEveryMs);
    try {
      const result = await work(() => permit);
      return { status: 'completed', result, token: permit.token };
    } finally {
      clearInterval(timer);
      if (lost === undefined) await this.#semaphore.release(permit).catch(() => false);
    }
  }
}

/** Retry plan for a message whose key is busy under the `queue` policy. */
export interface QueueRetryPlan {
  /**
   * `delay`: change the message's visibility timeout to `delaySeconds` and leave it on the queue.
   * `requeue`: the next receive would reach `maxReceiveCount` and send the message to the DLQ for
   * a reason that is not its fault: send a copy (SendMessage with `DelaySeconds`) and delete it.
   */
  readonly action: 'delay' | 'requeue';
  readonly delaySeconds: number;
}

/**
 * Exponential backoff with equal jitter (half fixed, half random) for busy keys, capped, and switched to `requeue` before the
 * message's receive count reaches the queue's `maxReceiveCount`.
 *
 * @example
 * const plan = planQueueRetry({ attempt: Number(record.attributes.ApproximateReceiveCount), maxReceiveCount: 5 });
 */
export function planQueueRetry(options: {
  readonly attempt: number;
  /** @default 2 */
  readonly baseSeconds?: number | undefined;
  /** Cap. SQS allows 43,200 for visibility and 900 for DelaySeconds. @default 300 */
  readonly maxSeconds?: number;
  /** The source queue's redrive maxReceiveCount. @default - no DLQ: always `delay` */
  readonly maxReceiveCount?: number;
  /** @default Math.random */
  readonly random?: () => number;
}): QueueRetryPlan {
  const { attempt, baseSeconds = 2, maxSeconds = 300, maxReceiveCount } = options;
  assertPositiveInteger('attempt', attempt);
  assertPositiveInteger('baseSeconds', baseSeconds);
  assertPositiveInteger('maxSeconds', maxSeconds);
  const ceiling = Math.min(maxSeconds, baseSeconds * 2 ** Math.min(attempt - 1, 30));
  const random = options.random ?? Math.random;
  const delaySeconds = Math.max(1, Math.ceil(ceiling * (0.5 + random() / 2)));
  if (maxReceiveCount !== undefined && attempt >= maxReceiveCount - 1) {
    return { action: 'requeue', delaySeconds: Math.min(delaySeconds, 900) };
  }
  return { action: 'delay', delaySeconds };
}
