import { type HolderInfo, SemaphoreFullError } from './errors.ts';
import {
  type AcquireOptions,
  assertPositiveInteger,
  type Lease,
  type LeaseStore,
} from './lease.ts';

/** A held semaphore slot: a lease on slot `slot` of the semaphore. */
export interface Permit extends Lease {
  readonly slot: number;
}

/**
 * Counting semaphore built from leases: slot `i` of semaphore `name` is the lease
 * `sem#<name>#<i>`. Acquiring tries the slots one by one from a random start (one conditional
 * write each, at most `limit` writes when full). Because slots are leases, a crashed holder's
 * slot comes back when its lease expires, and each permit carries a fencing token.
 *
 * Written here because Powertools has no semaphore; the AWS DynamoDB Lock Client has no counting
 * mode either.
 *
 * @example
 * const sem = new Semaphore(leases, { limit: 3 });
 * const permit = await sem.acquire('customer-42'); // throws SemaphoreFullError when 3 are held
 * try { await work(); } finally { await sem.release(permit); }
 */
export class Semaphore {
  public readonly limit: number;
  readonly #store: LeaseStore;
  readonly #prefix: string;

  public constructor(
    store: LeaseStore,
    options: { readonly limit: number /** @default 'sem' */; readonly prefix?: string },
  ) {
    assertPositiveInteger('limit', options.limit);
    this.#store = store;
    this.limit = options.limit;
    this.#prefix = options.prefix ?? 'sem';
  }

  /** Lease name of one slot. */
  public slotName(name: string, slot: number): string {
    return `${this.#prefix}#${name}#${slot}`;
  }

  /** Takes a free slot, or returns the holders of all slots when full. */
  public async tryAcquire(
    name: string,
    options: AcquireOptions = {},
  ): Promise<{ permit: Permit; holders?: never } | { permit?: never; holders: HolderInfo[] }> {
    const start = Math.floor(Math.random() * this.limit);
    const holders: HolderInfo[] = [];
    for (let i = 0; i < this.limit; i++) {
      const slot = (start + i) % this.limit;
      const result = await this.#store.tryAcquire(this.slotName(name, slot), options);
      if (result.lease) return { permit: { ...result.lease, slot } };
      if (result.current) holders.push(result.current);
    }
    return { holders };
  }

  /** @throws {SemaphoreFullError} with every slot's holder when all `limit` slots are held. */
  public async acquire(name: string, options: AcquireOptions = {}): Promise<Permit> {
    const result = await this.tryAcquire(name, options);
    if (result.permit) return result.permit;
    throw new SemaphoreFullError(name, this.limit, result.holders);
  }

  public async renew(permit: Permit): Promise<Permit> {
    return { ...(await this.#store.renew(permit)), slot: permit.slot };
  }

  public release(permit: Permit): Promise<boolean> {
    return this.#store.release(permit);
  }
}
