import { planQueueRetry } from '../coordination/key-policy.ts';
import type { Random } from './random.ts';

/** The lanes per-key policy of a worker (`keyConcurrency` of the worker runtime). */
export type KeyPolicySpec =
  | { readonly kind: 'skip' }
  | { readonly kind: 'queue' }
  | { readonly kind: 'limit'; readonly max: number };

/** What the runtime does with a record whose key is at its limit. */
export type BusyOutcome =
  | { readonly action: 'skip' }
  | { readonly action: 'delay' | 'requeue'; readonly delaySeconds: number };

/**
 * The runtime's per-key policy as the model runs it: at most `max` (`limit`) or 1 (`skip`,
 * `queue`) records of a key run at once across the worker's invocations. A busy key's record is
 * acknowledged unprocessed (`skip`) or postponed with the runtime's own backoff, `planQueueRetry`
 * from the coordination library (`queue`, `limit`), capped by the lease duration as the runtime
 * caps it; near maxReceiveCount a standard queue's record is requeued as a delayed copy instead.
 *
 * @example
 * const policy = new KeyPolicyModel({ kind: 'limit', max: 2 }, 5, 30, random);
 * const runs = policy.acquire(key, 3); // 2 of 3 records may run now
 */
export class KeyPolicyModel {
  readonly #active = new Map<number, number>();
  public readonly max: number;

  public constructor(
    public readonly spec: KeyPolicySpec,
    private readonly maxReceiveCount: number | undefined,
    private readonly leaseSeconds: number,
    private readonly random: Random,
  ) {
    this.max = spec.kind === 'limit' ? spec.max : 1;
  }

  /** Runs in progress for a key. */
  public active(key: number): number {
    return this.#active.get(key) ?? 0;
  }

  /** Takes up to `wanted` run slots of `key`; returns how many were free. */
  public acquire(key: number, wanted: number): number {
    const active = this.#active.get(key) ?? 0;
    const granted = Math.max(0, Math.min(wanted, this.max - active));
    if (granted > 0) this.#active.set(key, active + granted);
    return granted;
  }

  public release(key: number, count: number): void {
    const left = (this.#active.get(key) ?? 0) - count;
    if (left > 0) this.#active.set(key, left);
    else this.#active.delete(key);
  }

  /** What happens to a record of a busy key on its `receiveCount`-th receive. */
  public busy(receiveCount: number, fifo: boolean): BusyOutcome {
    if (this.spec.kind === 'skip') return { action: 'skip' };
    const random = () => this.random.next();
    const backoff = planQueueRetry({ attempt: receiveCount, random });
    const delaySeconds = Math.min(backoff.delaySeconds, Math.max(1, this.leaseSeconds));
    const { action } = planQueueRetry({
      attempt: receiveCount,
      maxReceiveCount: this.maxReceiveCount,
      random,
    });
    return { action: action === 'requeue' && !fifo ? 'requeue' : 'delay', delaySeconds };
  }
}
