import { type Cohort, takeFront } from './cohort.ts';
import { AWS } from './limits.ts';
import { Deque, MinHeap } from './structures.ts';

/** Runs something later on the virtual clock. */
export interface Scheduler {
  schedule(at: number, fire: (now: number) => void): void;
}

/** What a queue tells the rest of the model. */
export interface QueueHooks {
  /** Messages became receivable (pollers long-polling should wake). */
  onVisible(now: number): void;
  /** The redrive policy moved a cohort to the dead-letter queue (received maxReceiveCount times). */
  onRedrive(c: Cohort, now: number): void;
}

/** Settings of a queue, from the template. */
export interface QueueSettings {
  readonly visibilityTimeoutMs: number;
  /** Redrive policy's maxReceiveCount; undefined: no dead-letter queue. */
  readonly maxReceiveCount: number | undefined;
  /** FIFO API calls per second per action (send, receive); undefined: no limit (standard). */
  readonly callsPerSecond: number | undefined;
}

/** How finely arrivals are merged into cohorts. */
export interface Resolution {
  /** Merge arrivals sent within this span... */
  readonly ms: number;
  /** ...or within this fraction of the age of the oldest waiting message; 0 and 0: never merge. */
  readonly relative: number;
}

/**
 * Per-second budget of API calls of one action on a FIFO queue (the throughput quota). Calls over
 * the budget are throttled: the caller waits for the next second. Seconds are right-closed,
 * (k, k + 1], so a sample taken at a whole second counts the calls of the second it ends.
 */
export class CallBudget {
  #second = -1;
  #used = 0;
  public constructor(private readonly perSecond: number | undefined) {}

  /** Calls available now, at most `wanted`; consumes them. */
  public take(now: number, wanted: number): number {
    if (this.perSecond === undefined) return wanted;
    const second = CallBudget.#secondOf(now);
    if (second !== this.#second) {
      this.#second = second;
      this.#used = 0;
    }
    const granted = Math.min(wanted, this.perSecond - this.#used);
    this.#used += granted;
    return granted;
  }

  /** Returns calls taken now but not used. */
  public giveBack(now: number, calls: number): void {
    if (this.perSecond === undefined || CallBudget.#secondOf(now) !== this.#second) return;
    this.#used = Math.max(0, this.#used - calls);
  }

  /** The first instant of the next second, when the budget refills. */
  public nextRefill(now: number): number {
    return (CallBudget.#secondOf(now) + 1) * 1000 + 0.001;
  }

  static #secondOf(now: number): number {
    return Math.max(0, Math.ceil(now / 1000) - 1);
  }
}

/**
 * An SQS queue as the model sees it: counts of visible, in-flight and delayed messages, cohorts in
 * receive order, receive counts and the redrive policy, visibility timeouts, the in-flight limit
 * and (FIFO) the API call quota.
 */
export abstract class QueueModel {
  public abstract readonly fifo: boolean;
  /** Messages that can be received or wait behind an in-flight message of their FIFO group. */
  public visible = 0;
  /** Received and neither deleted nor visible again. */
  public inFlight = 0;
  /** Returned (or sent with a delay) and not visible yet. */
  public delayed = 0;
  public readonly receiveCalls: CallBudget;
  /** Messages per second the send quota allows (senders batch 10 per SendMessageBatch call). */
  public readonly sendMessages: CallBudget;
  protected readonly delayedCohorts = new Set<Cohort>();

  protected constructor(
    public readonly settings: QueueSettings,
    protected readonly resolution: Resolution,
    protected readonly scheduler: Scheduler,
    protected readonly hooks: QueueHooks,
  ) {
    this.receiveCalls = new CallBudget(settings.callsPerSecond);
    this.sendMessages = new CallBudget(
      settings.callsPerSecond === undefined
        ? undefined
        : settings.callsPerSecond * AWS.sqs.messagesPerCall,
    );
  }

  /** Adds newly sent messages (receive count 0), merging with the last cohort when alike. */
  public abstract send(c: Cohort, now: number): void;
  /** Receives up to `max` messages into `out` (receive count + 1); returns how many. */
  public abstract receive(max: number, now: number, out: Cohort[]): number;
  /** Batches that could be received now (wakes that many long-polling pollers at most). */
  public abstract receivable(batchSize: number): number;
  /** Send time of the oldest visible or delayed message (Infinity when none). */
  public abstract oldestWaiting(): number;

  /** Could a message of group `g` be received as soon as it is sent? (Always, but on FIFO.) */
  public groupFree(_g: number): boolean {
    return true;
  }

  /** Messages waiting: visible and delayed. */
  public get backlog(): number {
    return this.visible + this.delayed;
  }

  /**
   * Ends the in-flight time of a received cohort: deleted (`visibleAt` undefined), or visible
   * again at `visibleAt` (failure, visibility timeout, ChangeMessageVisibility).
   */
  public settle(c: Cohort, visibleAt: number | undefined, now: number): void {
    this.inFlight -= c.n;
    if (visibleAt === undefined) return;
    this.delayed += c.n;
    this.delayedCohorts.add(c);
    this.scheduler.schedule(Math.max(now, visibleAt), (at) => this.#reappear(c, at));
  }

  /** Sends a message that becomes visible at `visibleAt` (SendMessage with DelaySeconds). */
  public sendDelayed(c: Cohort, visibleAt: number, now: number): void {
    this.delayed += c.n;
    this.delayedCohorts.add(c);
    this.scheduler.schedule(Math.max(now, visibleAt), (at) => this.#reappear(c, at));
  }

  #reappear(c: Cohort, now: number): void {
    this.delayed -= c.n;
    this.delayedCohorts.delete(c);
    this.visible += c.n;
    this.returnVisible(c);
    this.hooks.onVisible(now);
  }

  /** Puts a cohort whose invisibility ended back where receives find it. */
  protected abstract returnVisible(c: Cohort): void;

  protected oldestDelayed(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const c of this.delayedCohorts) if (c.t0 < oldest) oldest = c.t0;
    return oldest;
  }

  protected redriven(c: Cohort): boolean {
    const max = this.settings.maxReceiveCount;
    return max !== undefined && c.rc >= max;
  }

  /**
   * Receives up to `want` messages from the front cohort of `from` into `out` and returns the
   * slice taken; a front cohort at maxReceiveCount is redriven instead (undefined is returned).
   */
  protected receiveFrom(
    from: Deque<Cohort>,
    want: number,
    now: number,
    out: Cohort[],
  ): Cohort | undefined {
    const c = from.peekFront() as Cohort;
    if (this.redriven(c)) {
      from.popFront();
      this.visible -= c.n;
      this.hooks.onRedrive(c, now);
      return undefined;
    }
    const k = Math.min(c.n, want);
    const slice = k === c.n ? (from.popFront() as Cohort) : takeFront(c, k);
    slice.rc++;
    this.visible -= k;
    this.inFlight += k;
    out.push(slice);
    return slice;
  }

  /** May `c` join the cohort `tail` (same kind, sent within the resolution)? */
  protected mergeable(tail: Cohort | undefined, c: Cohort, headT0: number, now: number): boolean {
    if (tail === undefined) return false;
    const { ms, relative } = this.resolution;
    if (ms <= 0 && relative <= 0) return false;
    return (
      tail.rc === 0 &&
      c.rc === 0 &&
      tail.key === c.key &&
      tail.group === c.group &&
      tail.src === c.src &&
      c.t1 - tail.t0 <= Math.max(ms, relative * (now - headT0))
    );
  }

  protected room(max: number): number {
    return Math.max(0, Math.min(max, AWS.sqs.maxInFlight - this.inFlight));
  }
}

/** Standard queue: best-effort order (oldest send time first across new and returned messages). */
export class StandardQueue extends QueueModel {
  public readonly fifo = false;
  readonly #fresh = new Deque<Cohort>();
  readonly #returned = new Deque<Cohort>();

  public constructor(
    settings: QueueSettings,
    resolution: Resolution,
    scheduler: Scheduler,
    hooks: QueueHooks,
  ) {
    super(settings, resolution, scheduler, hooks);
  }

  public send(c: Cohort, now: number): void {
    const tail = this.#fresh.peekBack();
    const head = this.#fresh.peekFront();
    if (tail && this.mergeable(tail, c, head?.t0 ?? now, now)) {
      tail.n += c.n;
      tail.t1 = c.t1;
    } else {
      this.#fresh.pushBack(c);
    }
    this.visible += c.n;
    this.hooks.onVisible(now);
  }

  public receive(max: number, now: number, out: Cohort[]): number {
    const room = this.room(max);
    let taken = 0;
    while (taken < room) {
      const fresh = this.#fresh.peekFront();
      const returned = this.#returned.peekFront();
      const from =
        fresh && (!returned || fresh.t0 <= returned.t0)
          ? this.#fresh
          : returned
            ? this.#returned
            : undefined;
      if (!from) break;
      taken += this.receiveFrom(from, room - taken, now, out)?.n ?? 0;
    }
    return taken;
  }

  public receivable(batchSize: number): number {
    return Math.ceil(this.visible / batchSize);
  }

  public oldestWaiting(): number {
    let oldest = this.oldestDelayed();
    const fresh = this.#fresh.peekFront();
    if (fresh && fresh.t0 < oldest) oldest = fresh.t0;
    for (const c of this.#returned) if (c.t0 < oldest) oldest = c.t0;
    return oldest;
  }

  protected returnVisible(c: Cohort): void {
    this.#returned.pushBack(c);
  }
}

interface FifoGroup {
  readonly q: Deque<Cohort>;
  /** Messages of the group in flight: while > 0 nothing else of the group is received. */
  inFlight: number;
  /** Returned messages waiting for their visibility timeout; the group stays blocked. */
  pending: Cohort[] | undefined;
  pendingUntil: number;
  /** In the available list. */
  queued: boolean;
}

/**
 * FIFO queue: messages in order per message group, and a group with a message in flight (or
 * waiting out its visibility timeout) is not received from. A receive fills the batch from one
 * group first, then from the next available group (SQS returns as many messages of the same group
 * as possible).
 */
export class FifoQueue extends QueueModel {
  public readonly fifo = true;
  readonly #groups: (FifoGroup | undefined)[] = [];
  readonly #available = new Deque<number>();

  public constructor(
    settings: QueueSettings,
    resolution: Resolution,
    scheduler: Scheduler,
    hooks: QueueHooks,
  ) {
    super(settings, resolution, scheduler, hooks);
  }

  public override groupFree(g: number): boolean {
    const group = this.#groups[g];
    return !group || (group.inFlight === 0 && !group.pending && group.q.size === 0);
  }

  /** Messages of group `g` in flight (for tests of the one-batch-per-group rule). */
  public groupInFlight(g: number): number {
    return this.#groups[g]?.inFlight ?? 0;
  }

  public send(c: Cohort, now: number): void {
    const g = this.#group(c.group);
    const tail = g.q.peekBack();
    if (tail && this.mergeable(tail, c, g.q.peekFront()?.t0 ?? now, now)) {
      tail.n += c.n;
      tail.t1 = c.t1;
    } else {
      g.q.pushBack(c);
    }
    this.visible += c.n;
    this.#offer(c.group, g);
    this.hooks.onVisible(now);
  }

  public receive(max: number, now: number, out: Cohort[]): number {
    const room = this.room(max);
    let taken = 0;
    while (taken < room && this.#available.size > 0) {
      const id = this.#available.popFront() as number;
      const g = this.#groups[id] as FifoGroup;
      g.queued = false;
      while (taken < room && g.q.size > 0) {
        const k = this.receiveFrom(g.q, room - taken, now, out)?.n ?? 0;
        g.inFlight += k;
        taken += k;
      }
    }
    return taken;
  }

  public override settle(c: Cohort, visibleAt: number | undefined, now: number): void {
    const g = this.#groups[c.group] as FifoGroup;
    g.inFlight -= c.n;
    this.inFlight -= c.n;
    if (visibleAt !== undefined) {
      g.pending ??= [];
      g.pending.push(c);
      g.pendingUntil = Math.max(g.pendingUntil, visibleAt);
      this.delayed += c.n;
    }
    if (g.inFlight > 0) return;
    const pending = g.pending;
    if (pending) {
      // The group stays blocked until every returned message is visible again.
      this.scheduler.schedule(Math.max(now, g.pendingUntil), (at) => {
        g.pending = undefined;
        g.pendingUntil = 0;
        for (let i = pending.length - 1; i >= 0; i--) g.q.pushFront(pending[i] as Cohort);
        for (const p of pending) {
          this.delayed -= p.n;
          this.visible += p.n;
        }
        this.#offer(c.group, g);
        this.hooks.onVisible(at);
      });
    } else if (this.#offer(c.group, g)) {
      // The group is free again with messages waiting: long-polling pollers can take it.
      this.hooks.onVisible(now);
    }
  }

  public receivable(): number {
    return this.#available.size;
  }

  public oldestWaiting(): number {
    let oldest = this.oldestDelayed();
    for (const g of this.#groups) {
      if (!g) continue;
      const head = g.q.peekFront();
      if (head && head.t0 < oldest) oldest = head.t0;
      if (g.pending) for (const p of g.pending) if (p.t0 < oldest) oldest = p.t0;
    }
    return oldest;
  }

  protected returnVisible(c: Cohort): void {
    // Only delayed sends come here (returned messages go through `settle`): they join the end.
    const g = this.#group(c.group);
    g.q.pushBack(c);
    this.#offer(c.group, g);
  }

  /** Puts a free group with messages in the available list; true if it was added. */
  #offer(id: number, g: FifoGroup): boolean {
    if (!g.queued && g.inFlight === 0 && !g.pending && g.q.size > 0) {
      g.queued = true;
      this.#available.pushBack(id);
      return true;
    }
    return false;
  }

  #group(id: number): FifoGroup {
    let g = this.#groups[id];
    if (!g) {
      // Keep the array dense (a sparse one falls back to a slow dictionary).
      while (this.#groups.length <= id) this.#groups.push(undefined);
      g = {
        q: new Deque<Cohort>(),
        inFlight: 0,
        pending: undefined,
        pendingUntil: 0,
        queued: false,
      };
      this.#groups[id] = g;
    }
    return g;
  }
}

interface Tenant {
  readonly q: Deque<Cohort>;
  inFlight: number;
  /** Visible, delayed and in flight. */
  backlog: number;
  lastSendMs: number;
  noisy: boolean;
  /** Version of its heap entry; older entries are stale. */
  version: number;
}

/**
 * Standard queue with fair queues: messages carry a MessageGroupId (the tenant). A tenant with
 * more than 10 % of the in-flight messages and at least 30 of its own in flight is a noisy
 * neighbour; quiet tenants' messages are received first, oldest first; a noisy tenant is quiet
 * again once its backlog is empty or it has sent nothing for 5 minutes (docs/aws-limits.md).
 */
export class FairQueue extends QueueModel {
  public readonly fifo = false;
  readonly #tenants: (Tenant | undefined)[] = [];
  readonly #quiet = new MinHeap<[number, number]>();
  readonly #noisy = new MinHeap<[number, number]>();
  /** Receives that skipped a noisy tenant (for reports and tests). */
  public deprioritized = 0;

  public constructor(
    settings: QueueSettings,
    resolution: Resolution,
    scheduler: Scheduler,
    hooks: QueueHooks,
  ) {
    super(settings, resolution, scheduler, hooks);
  }

  public isNoisy(id: number): boolean {
    return this.#tenants[id]?.noisy ?? false;
  }

  public send(c: Cohort, now: number): void {
    const t = this.#tenant(c.group);
    const tail = t.q.peekBack();
    const wasEmpty = t.q.size === 0;
    if (tail && this.mergeable(tail, c, t.q.peekFront()?.t0 ?? now, now)) {
      tail.n += c.n;
      tail.t1 = c.t1;
    } else {
      t.q.pushBack(c);
    }
    t.backlog += c.n;
    t.lastSendMs = now;
    this.visible += c.n;
    if (wasEmpty) this.#enqueue(c.group, t);
    this.hooks.onVisible(now);
  }

  public receive(max: number, now: number, out: Cohort[]): number {
    const room = this.room(max);
    let taken = 0;
    while (taken < room) {
      const id = this.#next(now);
      if (id === undefined) break;
      const t = this.#tenants[id] as Tenant;
      const front = (t.q.peekFront() as Cohort).n;
      const slice = this.receiveFrom(t.q, room - taken, now, out);
      if (slice) {
        t.inFlight += slice.n;
        taken += slice.n;
      } else {
        t.backlog -= front; // redriven
      }
      if (t.q.size > 0) this.#enqueue(id, t);
    }
    return taken;
  }

  public override settle(c: Cohort, visibleAt: number | undefined, now: number): void {
    const t = this.#tenants[c.group] as Tenant;
    t.inFlight -= c.n;
    if (visibleAt === undefined) {
      t.backlog -= c.n;
      if (t.backlog === 0) t.noisy = false;
    }
    super.settle(c, visibleAt, now);
  }

  public receivable(batchSize: number): number {
    return Math.ceil(this.visible / batchSize);
  }

  public oldestWaiting(): number {
    let oldest = this.oldestDelayed();
    for (const t of this.#tenants) {
      const head = t?.q.peekFront();
      if (head && head.t0 < oldest) oldest = head.t0;
    }
    return oldest;
  }

  protected returnVisible(c: Cohort): void {
    const t = this.#tenant(c.group);
    // A returned message is older than what its tenant has waiting: it goes first.
    t.q.pushFront(c);
    this.#enqueue(c.group, t);
  }

  /** The tenant to receive from next: the quiet one with the oldest message, else a noisy one. */
  #next(now: number): number | undefined {
    for (;;) {
      const entry = this.#quiet.pop();
      if (!entry) break;
      const [id, version] = entry;
      const t = this.#tenants[id] as Tenant;
      if (version !== t.version || t.q.size === 0) continue;
      if (t.noisy || this.#noisyNow(t)) {
        t.noisy = true;
        this.deprioritized++;
        t.version++;
        this.#noisy.push(t.q.peekFront()?.t0 ?? 0, [id, t.version]);
        continue;
      }
      return id;
    }
    for (;;) {
      const entry = this.#noisy.pop();
      if (!entry) return undefined;
      const [id, version] = entry;
      const t = this.#tenants[id] as Tenant;
      if (version !== t.version || t.q.size === 0) continue;
      if (now - t.lastSendMs >= AWS.sqs.fairQuietAfterSeconds * 1000) t.noisy = false;
      return id;
    }
  }

  #noisyNow(t: Tenant): boolean {
    return (
      t.inFlight >= AWS.sqs.fairNoisyMinInFlight &&
      t.inFlight > AWS.sqs.fairNoisyShare * this.inFlight
    );
  }

  #enqueue(id: number, t: Tenant): void {
    t.version++;
    const head = (t.q.peekFront() as Cohort).t0;
    (t.noisy ? this.#noisy : this.#quiet).push(head, [id, t.version]);
  }

  #tenant(id: number): Tenant {
    let t = this.#tenants[id];
    if (!t) {
      while (this.#tenants.length <= id) this.#tenants.push(undefined);
      t = {
        q: new Deque<Cohort>(),
        inFlight: 0,
        backlog: 0,
        lastSendMs: 0,
        noisy: false,
        version: 0,
      };
      this.#tenants[id] = t;
    }
    return t;
  }
}
