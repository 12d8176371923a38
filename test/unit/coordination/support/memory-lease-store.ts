import {
  type AcquireRequest,
  type ConditionalOutcome,
  type HolderRequest,
  type LeaseRecord,
  LeaseStore,
  type LeaseStoreOptions,
} from '#shared/coordination/lease.ts';

export interface Item {
  holder?: string;
  token?: number;
  expiresAtMs?: number;
  state: Record<string, number>;
}

/**
 * In-memory model of `DynamoDBLeaseStore`'s conditions, for unit tests of the policy in
 * `LeaseStore` and the modules above it. The same contract suite (lease-contract.ts) runs against
 * it and against DynamoDB on LocalStack, which keeps the model honest.
 */
export class MemoryLeaseStore extends LeaseStore {
  readonly items: Map<string, Item>;
  /** Requests made, to assert request counts. */
  requests = 0;

  /** Pass the `items` of another store to model two processes sharing one table. */
  public constructor(options: LeaseStoreOptions & { items?: Map<string, Item> } = {}) {
    super(options);
    this.items = options.items ?? new Map();
  }

  protected override async acquireRecord(r: AcquireRequest): Promise<ConditionalOutcome> {
    await this.#tick();
    const item = this.items.get(r.name);
    const free = !item || item.holder === undefined || (item.expiresAtMs ?? 0) < r.nowMs;
    if (item && !free) {
      return { ok: false, current: toRecord(r.name, item) };
    }
    const next: Item = {
      holder: r.owner,
      token: (item?.token ?? r.tokenBase) + 1,
      expiresAtMs: r.expiresAtMs,
      state: { ...item?.state },
    };
    this.items.set(r.name, next);
    return { ok: true, record: toRecord(r.name, next) };
  }

  protected override async renewRecord(
    r: HolderRequest & { expiresAtMs: number },
  ): Promise<ConditionalOutcome> {
    return this.#guarded(r, (item) => {
      item.expiresAtMs = r.expiresAtMs;
    });
  }

  protected override async releaseRecord(r: HolderRequest): Promise<ConditionalOutcome> {
    return this.#guarded(r, (item) => {
      item.expiresAtMs = 0;
      delete item.holder;
    });
  }

  protected override async writeStateRecord(
    r: HolderRequest & { values: Readonly<Record<string, number>> },
  ): Promise<ConditionalOutcome> {
    return this.#guarded(r, (item) => {
      Object.assign(item.state, r.values);
    });
  }

  protected override async raiseStateRecord(r: {
    name: string;
    attribute: string;
    value: number;
  }): Promise<boolean> {
    await this.#tick();
    const item = this.items.get(r.name) ?? { state: {} };
    const current = item.state[r.attribute];
    if (current !== undefined && !(current < r.value)) return false;
    item.state[r.attribute] = r.value;
    this.items.set(r.name, item);
    return true;
  }

  protected override async readRecord(name: string): Promise<LeaseRecord | undefined> {
    await this.#tick();
    const item = this.items.get(name);
    return item ? toRecord(name, item) : undefined;
  }

  async #guarded(r: HolderRequest, apply: (item: Item) => void): Promise<ConditionalOutcome> {
    await this.#tick();
    const item = this.items.get(r.name);
    if (!item || item.holder !== r.owner || item.token !== r.token) {
      return { ok: false, current: item ? toRecord(r.name, item) : undefined };
    }
    apply(item);
    return { ok: true, record: toRecord(r.name, item) };
  }

  // Yield like a network call would, so concurrent callers interleave.
  async #tick(): Promise<void> {
    this.requests++;
    await Promise.resolve();
  }
}

function toRecord(name: string, item: Item): LeaseRecord {
  return {
    name,
    holder: item.holder,
    token: item.token,
    expiresAtMs: item.expiresAtMs,
    state: { ...item.state },
  };
}
