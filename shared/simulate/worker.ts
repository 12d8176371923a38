import { type Cohort, cohort, meanSendTime, takeFront } from './cohort.ts';
import type { Duration } from './durations.ts';
import type { PartitionedTable } from './dynamodb.ts';
import { Histogram } from './histogram.ts';
import type { KeyPolicyModel } from './key-policy.ts';
import type { KeyDistribution, KeyGroups } from './keys.ts';
import type { FunctionModel } from './lambda.ts';
import { AWS } from './limits.ts';
import type { Random } from './random.ts';
import type { QueueModel, Scheduler } from './sqs.ts';
import { Deque } from './structures.ts';

/** How the event source mapping scales. */
export type ScalingMode = 'standard' | 'fifo' | 'provisioned';

/** The worker's settings after any what-if changes (from the template otherwise). */
export interface EffectiveSettings {
  readonly fifo: boolean;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly maxConcurrency: number | undefined;
  readonly provisioned:
    | { readonly minimumPollers: number; readonly maximumPollers: number }
    | undefined;
  readonly reportBatchItemFailures: boolean;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number | undefined;
  readonly timeoutMs: number;
  readonly lanesRuntime: boolean;
}

export type RecordsMode = 'sequential' | 'parallel' | 'groups';

/** What the code does and the model's assumptions, for one worker. */
export interface WorkerBehaviour {
  readonly recordMs: Duration;
  readonly invocationMs: Duration;
  readonly coldStartMs: Duration;
  readonly errorRate: number;
  /**
   * How a batch's records share the invocation: one after another, all at once, or (the lanes
   * runtime on FIFO with `parallelFifoGroups`) a message group's records one after another and
   * the groups at once.
   */
  readonly records: RecordsMode;
  readonly policy: KeyPolicyModel | undefined;
  readonly table: PartitionedTable | undefined;
  readonly writesPerRecord: number;
  readonly pollOverheadMs: number;
  readonly wakeLatencyMs: number;
  readonly throttleRetryMs: number;
  readonly throttleRetryMaxMs: number;
  readonly throttleCooldownMs: number;
}

/** Where a producer's keys come from, to draw a message's key when it is first needed. */
export interface KeySource {
  readonly keys: KeyDistribution;
  /** Groups of the queue's messages for this producer (lanes), when grouped by something else than the key. */
  readonly groups: KeyGroups | undefined;
}

/** Counters of one worker. */
export class WorkerStats {
  public sent = 0;
  public processed = 0;
  public skipped = 0;
  public redriven = 0;
  public deadLettered = 0;
  /** Failed records deleted anyway because the mapping does not report batch item failures. */
  public lostFailures = 0;
  public recordFailures = 0;
  public dynamoThrottledRecords = 0;
  /** DynamoDB write units accepted. */
  public writeUnits = 0;
  public postponed = 0;
  public requeued = 0;
  public throttles = 0;
  public invocations = 0;
  public coldStarts = 0;
  public timeouts = 0;
  public duplicates = 0;
  public sendThrottles = 0;
  public receiveCalls = 0;
  public deleteCalls = 0;
  public changeVisibilityCalls = 0;
  public sendCalls = 0;
  public peakExecuting = 0;
  public firstSentMs = Number.POSITIVE_INFINITY;
  public lastSentMs = 0;
  public lastDoneMs = 0;
  public readonly dwell = new Histogram();
}

/**
 * Arrivals of one tick not yet sent: messages evenly spread over [from, from + span) (`fluid`, a
 * plain standard queue), or one cohort per message with its own time, key and group.
 * They are sent when the clock passes their time and something looks at the queue, so a receive
 * sees exactly the messages sent before it without an event per message.
 */
export type ArrivalSegment =
  | {
      readonly kind: 'fluid';
      readonly src: number;
      readonly from: number;
      readonly span: number;
      readonly m: number;
      sent: number;
    }
  | { readonly kind: 'discrete'; readonly cohorts: readonly Cohort[]; next: number };

interface Batch {
  readonly cohorts: Cohort[];
  count: number;
  readonly receivedAt: number;
  throttled: number;
}

interface Plan {
  durationMs: number;
  billedMs: number;
  timedOut: boolean;
  expired: boolean;
  readonly deleted: Cohort[];
  readonly skipped: Cohort[];
  readonly deadLettered: Cohort[];
  /** Failed records deleted anyway (the mapping does not report batch item failures). */
  readonly lost: Cohort[];
  readonly returned: [Cohort, number][];
  readonly requeued: [Cohort, number][];
  readonly acquired: [number, number][];
  failedRecords: number;
}

/**
 * One worker: an SQS queue, its event source mapping and the Lambda function behind it.
 *
 * The mapping runs `allowed` pollers; each receives a batch, invokes the function, waits for it and
 * receives again (one batch at a time per poller). Standard queues start at 5 and add 300 per
 * minute while messages remain and every poller is busy, and shed a poller when a receive finds
 * nothing (down to 5); FIFO queues run up to the maximum concurrency and are limited by the active
 * message groups; provisioned mode runs 10 invokes per poller between the minimum and maximum
 * pollers, adding about 1,000 per minute. A throttled invoke is retried with backoff until the
 * messages' visibility timeout ends, then the messages are visible again with their receive count
 * raised (docs/aws-limits.md).
 */
export class WorkerModel {
  public readonly stats = new WorkerStats();
  public readonly mode: ScalingMode;
  /** Concurrency the mapping aims at now. */
  public allowed: number;
  public readonly floor: number;
  public readonly cap: number;
  public executing = 0;
  #executingArea = 0;
  #executingChangedAt = 0;
  #allowedExact: number;
  #slots = 0;
  #waiting = 0;
  #pendingPolls = 0;
  #lastThrottleAt = Number.NEGATIVE_INFINITY;
  #waitArea = 0;
  #waitChangedAt = 0;
  readonly #gathering = new Set<Batch>();
  readonly #inFlight = new Set<Batch>();
  readonly #unsent = new Deque<Cohort>();
  #unsentCount = 0;
  readonly #segments: ArrivalSegment[] = [];
  #wakeArmed = false;
  #resendArmed = false;

  public constructor(
    public readonly name: string,
    public readonly settings: EffectiveSettings,
    public readonly queue: QueueModel,
    public readonly fn: FunctionModel,
    public readonly behaviour: WorkerBehaviour,
    private readonly keySources: readonly (KeySource | undefined)[],
    private readonly scheduler: Scheduler,
    private readonly random: Random,
  ) {
    const s = settings;
    if (s.provisioned) {
      const perPoller = AWS.esm.provisionedInvokesPerPoller;
      this.mode = 'provisioned';
      this.floor = s.provisioned.minimumPollers * perPoller;
      this.cap = Math.min(
        AWS.esm.provisionedMaxConcurrency,
        s.provisioned.maximumPollers * perPoller,
      );
      this.allowed = this.floor;
    } else if (s.fifo) {
      this.mode = 'fifo';
      this.cap = Math.min(
        s.maxConcurrency ?? AWS.esm.fifoMaxConcurrency,
        AWS.esm.fifoMaxConcurrency,
      );
      this.floor = this.cap;
      this.allowed = this.cap;
    } else {
      this.mode = 'standard';
      this.cap = Math.min(
        s.maxConcurrency ?? AWS.esm.standardMaxConcurrency,
        AWS.esm.standardMaxConcurrency,
      );
      this.floor = Math.min(AWS.esm.standardInitialConcurrency, this.cap);
      this.allowed = this.floor;
    }
    this.#allowedExact = this.allowed;
  }

  /** Does this worker need each record's key (per-key policy, per-key writes)? */
  public get keyed(): boolean {
    return this.behaviour.policy !== undefined || this.behaviour.writesPerRecord > 0;
  }

  /** Empty ReceiveMessage calls of long-polling pollers (one per 20 s each), so far. */
  public emptyReceives(now: number): number {
    return (
      (this.#waitArea + this.#waiting * (now - this.#waitChangedAt)) /
      (AWS.sqs.longPollSeconds * 1000)
    );
  }

  /** Integral of running invocations over time (ms), to average concurrency over an interval. */
  public executingArea(now: number): number {
    return this.#executingArea + this.executing * (now - this.#executingChangedAt);
  }

  #setExecuting(value: number, now: number): void {
    this.#executingArea += this.executing * (now - this.#executingChangedAt);
    this.#executingChangedAt = now;
    this.executing = value;
  }

  /** Nothing waiting, in flight or being gathered. */
  public get idle(): boolean {
    return (
      this.#segments.length === 0 &&
      this.queue.backlog === 0 &&
      this.queue.inFlight === 0 &&
      this.#unsentCount === 0 &&
      this.#gathering.size === 0 &&
      this.#inFlight.size === 0
    );
  }

  /** Send time of the oldest message not yet deleted (waiting, in flight, or not yet sent). */
  public oldestSendTime(): number {
    let oldest = this.queue.oldestWaiting();
    for (const b of this.#inFlight) for (const c of b.cohorts) if (c.t0 < oldest) oldest = c.t0;
    const waiting = this.#unsent.peekFront();
    if (waiting && waiting.t0 < oldest) oldest = waiting.t0;
    return oldest;
  }

  /** The cohorts of each batch received and not yet settled (for invariant checks). */
  public *batchesInFlight(): IterableIterator<readonly Cohort[]> {
    for (const b of this.#inFlight) yield b.cohorts;
  }

  /** Starts the pollers and the scaling controller. */
  public start(now: number): void {
    this.#spawn(now);
    const tick = (at: number) => {
      this.#scale(at);
      this.scheduler.schedule(at + 1000, tick);
    };
    this.scheduler.schedule(now + 1000, tick);
  }

  /** Registers arrivals that will be sent during the coming tick (see {@link ArrivalSegment}). */
  public expect(segment: ArrivalSegment, now: number): void {
    this.#segments.push(segment);
    this.#armWake(now);
  }

  /** Sends the registered arrivals whose time has come (from every producer's segment). */
  public flush(now: number): void {
    if (this.#segments.length === 0) return;
    const due: Cohort[] = [];
    let contributing = 0;
    for (const seg of this.#segments) {
      const before = due.length;
      if (seg.kind === 'fluid') {
        // The epsilon keeps a wake at a message's own send time from missing it to rounding.
        const upTo = Math.min(
          seg.m,
          Math.max(0, Math.floor(((now - seg.from) * seg.m) / seg.span + 0.5 + 1e-6)),
        );
        if (upTo > seg.sent) {
          const step = seg.span / seg.m;
          due.push(
            cohort(
              upTo - seg.sent,
              seg.from + (seg.sent + 0.5) * step,
              seg.from + (upTo - 0.5) * step,
              -1,
              -1,
              seg.src,
            ),
          );
          seg.sent = upTo;
        }
      } else {
        while (seg.next < seg.cohorts.length && (seg.cohorts[seg.next] as Cohort).t0 <= now) {
          due.push(seg.cohorts[seg.next] as Cohort);
          seg.next++;
        }
      }
      if (due.length > before) contributing++;
    }
    let kept = 0;
    for (const seg of this.#segments) {
      const done = seg.kind === 'fluid' ? seg.sent >= seg.m : seg.next >= seg.cohorts.length;
      if (!done) this.#segments[kept++] = seg;
    }
    this.#segments.length = kept;
    // Several producers' arrivals interleave: send them in time order (FIFO groups keep it).
    if (contributing > 1) due.sort((a, b) => a.t0 - b.t0);
    if (due.length > 0) this.deliver(due, now);
  }

  /** Send time of the next registered arrival that a waiting poller could receive. */
  #nextArrival(): number {
    for (const seg of this.#segments) {
      if (seg.kind === 'fluid') {
        if (seg.sent < seg.m) return seg.from + ((seg.sent + 0.5) * seg.span) / seg.m;
        continue;
      }
      // FIFO: an arrival for a group with a message in flight wakes nobody; look a little ahead.
      const end = Math.min(seg.cohorts.length, seg.next + 64);
      for (let i = seg.next; i < end; i++) {
        const c = seg.cohorts[i] as Cohort;
        if (!this.settings.fifo || this.queue.groupFree(c.group)) return c.t0;
      }
      if (end < seg.cohorts.length) return (seg.cohorts[end] as Cohort).t0;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** While pollers wait (or batches gather), wake at the next arrival they can take. */
  #armWake(now: number): void {
    if (this.#wakeArmed || (this.#waiting === 0 && this.#gathering.size === 0)) return;
    const at = this.#nextArrival();
    if (!Number.isFinite(at)) return;
    this.#wakeArmed = true;
    this.scheduler.schedule(Math.max(now, at), (t) => {
      this.#wakeArmed = false;
      this.flush(t);
      this.onVisible(t);
      // Pollers just woken re-arm once they have received (see #poll): no wake per message.
      if (this.#pendingPolls === 0) this.#armWake(t);
    });
  }

  /**
   * Messages sent to this worker's queue. FIFO sends beyond the queue's API quota are throttled
   * and retried by the sender in the next second, keeping their send time.
   */
  public deliver(cohorts: readonly Cohort[], now: number): void {
    if (this.queue.settings.callsPerSecond === undefined) {
      let accepted = 0;
      for (const c of cohorts) accepted += this.#accept(c, now);
      this.#accepted(accepted, now);
      return;
    }
    let added = 0;
    for (const c of cohorts) added += c.n;
    const granted = this.#unsentCount === 0 ? this.queue.sendMessages.take(now, added) : 0;
    if (granted === added) {
      // Within the quota (the usual case): straight to the queue.
      let accepted = 0;
      for (const c of cohorts) accepted += this.#accept(c, now);
      this.#accepted(accepted, now);
      return;
    }
    this.queue.sendMessages.giveBack(now, granted);
    const before = this.#unsentCount;
    for (const c of cohorts) this.#unsent.pushBack(c);
    this.#unsentCount += added;
    let budget = this.queue.sendMessages.take(now, this.#unsentCount);
    let accepted = 0;
    while (budget > 0 && this.#unsent.size > 0) {
      const c = this.#unsent.peekFront() as Cohort;
      const part = c.n <= budget ? (this.#unsent.popFront() as Cohort) : takeFront(c, budget);
      budget -= part.n;
      this.#unsentCount -= part.n;
      accepted += this.#accept(part, now);
    }
    // New messages that must wait for the next second (older ones were counted before).
    this.stats.sendThrottles += this.#unsentCount - Math.max(0, before - accepted);
    if (this.#unsentCount > 0 && !this.#resendArmed) {
      this.#resendArmed = true;
      this.scheduler.schedule(this.queue.sendMessages.nextRefill(now), (at) => {
        this.#resendArmed = false;
        this.deliver([], at);
      });
    }
    this.#accepted(accepted, now);
  }

  #accept(c: Cohort, now: number): number {
    const stats = this.stats;
    stats.sent += c.n;
    if (c.t0 < stats.firstSentMs) stats.firstSentMs = c.t0;
    if (c.t1 > stats.lastSentMs) stats.lastSentMs = c.t1;
    this.queue.send(c, now);
    return c.n;
  }

  #accepted(messages: number, now: number): void {
    // Senders batch (SendMessageBatch, 10 per call): the cost counts calls per 10 messages.
    this.stats.sendCalls += messages / AWS.sqs.messagesPerCall;
    if (messages > 0) this.onVisible(now);
  }

  /** Messages registered for the current tick and not sent yet (their time has not come). */
  public get pendingArrivals(): number {
    let n = 0;
    for (const seg of this.#segments)
      n += seg.kind === 'fluid' ? seg.m - seg.sent : seg.cohorts.length - seg.next;
    return n;
  }

  /** Messages the FIFO quota has not let through yet (the sender retries them). */
  public get unsent(): number {
    return this.#unsentCount;
  }

  /** Messages became receivable: fill batches in their window first, then wake pollers. */
  public onVisible(now: number): void {
    if (this.#gathering.size > 0) {
      this.flush(now);
      for (const batch of this.#gathering) {
        if (this.queue.visible === 0) break;
        const k = this.queue.receive(this.settings.batchSize - batch.count, now, batch.cohorts);
        if (k === 0) continue;
        batch.count += k;
        this.stats.receiveCalls += Math.ceil(k / AWS.sqs.messagesPerCall);
        if (batch.count >= this.settings.batchSize) {
          this.#gathering.delete(batch);
          this.#invoke(batch, now);
        }
      }
    }
    if (this.#waiting === 0) return;
    const wanted = this.queue.receivable(this.settings.batchSize) - this.#pendingPolls;
    const wake = Math.min(this.#waiting, wanted);
    if (wake <= 0) return;
    this.#setWaiting(this.#waiting - wake, now);
    // A long-polling receive returns shortly after a message becomes available.
    for (let i = 0; i < wake; i++) this.#schedulePoll(now + this.behaviour.wakeLatencyMs);
  }

  /** A cohort the redrive policy moved to the DLQ. */
  public onRedrive(c: Cohort, now: number): void {
    this.stats.redriven += c.n;
    this.stats.lastDoneMs = now;
  }

  #setWaiting(value: number, now: number): void {
    this.#waitArea += this.#waiting * (now - this.#waitChangedAt);
    this.#waitChangedAt = now;
    this.#waiting = value;
  }

  #spawn(now: number): void {
    while (this.#slots < this.allowed) {
      this.#slots++;
      this.#schedulePoll(now);
    }
  }

  #schedulePoll(at: number): void {
    this.#pendingPolls++;
    this.scheduler.schedule(at, (now) => {
      this.#pendingPolls--;
      this.#poll(now);
    });
  }

  /** The poller is free again: poll (or retire if the mapping scaled down). */
  #next(now: number): void {
    if (this.#slots > this.allowed) {
      this.#slots--;
      return;
    }
    this.#schedulePoll(now + this.behaviour.pollOverheadMs);
  }

  #poll(now: number): void {
    if (this.#slots > this.allowed) {
      this.#slots--;
      return;
    }
    if (this.queue.receiveCalls.take(now, 1) === 0) {
      this.#schedulePoll(this.queue.receiveCalls.nextRefill(now));
      return;
    }
    this.flush(now);
    const cohorts: Cohort[] = [];
    const n = this.queue.receive(this.settings.batchSize, now, cohorts);
    this.stats.receiveCalls += Math.max(1, Math.ceil(n / AWS.sqs.messagesPerCall));
    if (n === 0) {
      if (this.mode !== 'fifo' && this.allowed > this.floor) {
        // Traffic is low: the mapping sheds this poller.
        this.allowed--;
        this.#allowedExact = this.allowed;
        this.#slots--;
        return;
      }
      this.#setWaiting(this.#waiting + 1, now);
      this.#armWake(now);
      return;
    }
    if (this.#waiting > 0) this.#armWake(now);
    const batch: Batch = { cohorts, count: n, receivedAt: now, throttled: 0 };
    this.#inFlight.add(batch);
    if (n < this.settings.batchSize && this.settings.batchingWindowMs > 0) {
      this.#gathering.add(batch);
      this.#armWake(now);
      this.scheduler.schedule(now + this.settings.batchingWindowMs, (at) => {
        if (!this.#gathering.has(batch)) return;
        this.flush(at);
        this.onVisible(at);
        if (this.#gathering.delete(batch)) this.#invoke(batch, at);
      });
      return;
    }
    this.#invoke(batch, now);
  }

  #scale(now: number): void {
    this.flush(now);
    if (now - this.#lastThrottleAt < this.behaviour.throttleCooldownMs) return;
    const perSecond =
      this.mode === 'provisioned'
        ? AWS.esm.provisionedScaleUpPerMinute / 60
        : this.mode === 'standard'
          ? AWS.esm.standardScaleUpPerMinute / 60
          : AWS.lambda.environmentsPer10Seconds / 10;
    // Messages remain while no poller is idle: every poller is busy.
    const backlogged = this.queue.visible > 0 && this.#waiting === 0;
    // FIFO mappings only scale back up after throttles; the others while messages remain.
    if (this.allowed < this.cap && (backlogged || this.mode === 'fifo')) {
      this.#allowedExact = Math.min(this.cap, this.#allowedExact + perSecond);
      this.allowed = Math.floor(this.#allowedExact);
      this.#spawn(now);
    }
  }

  #invoke(batch: Batch, now: number): void {
    const started = this.fn.tryStart(now);
    if (started === 'throttled') {
      this.#throttled(batch, now);
      return;
    }
    this.stats.invocations++;
    this.#setExecuting(this.executing + 1, now);
    if (this.executing > this.stats.peakExecuting) this.stats.peakExecuting = this.executing;
    const cold = started === 'cold';
    if (cold) this.stats.coldStarts++;
    const plan = this.#plan(batch, now, cold);
    // The batch now consists of the plan's pieces (records split by outcome).
    batch.cohorts.length = 0;
    for (const c of plan.deleted) batch.cohorts.push(c);
    for (const c of plan.skipped) batch.cohorts.push(c);
    for (const c of plan.deadLettered) batch.cohorts.push(c);
    for (const c of plan.lost) batch.cohorts.push(c);
    for (const [c] of plan.returned) batch.cohorts.push(c);
    for (const [c] of plan.requeued) batch.cohorts.push(c);
    const visibleAt = batch.receivedAt + this.settings.visibilityTimeoutMs;
    if (now + plan.durationMs > visibleAt) {
      // The visibility timeout ends before the invocation: SQS hands the messages out again.
      plan.expired = true;
      this.scheduler.schedule(visibleAt, (at) => {
        for (const c of batch.cohorts) this.queue.settle(c, at, at);
        this.onVisible(at);
      });
    }
    this.scheduler.schedule(now + plan.durationMs, (at) => this.#complete(batch, plan, at));
  }

  #throttled(batch: Batch, now: number): void {
    const b = this.behaviour;
    this.stats.throttles++;
    batch.throttled++;
    this.#lastThrottleAt = now;
    // The mapping backs off: one poller fewer per throttle, not below its floor.
    const lowest =
      this.mode === 'provisioned'
        ? this.floor
        : Math.min(this.floor, AWS.esm.standardInitialConcurrency);
    if (this.allowed > lowest) {
      this.allowed--;
      this.#allowedExact = this.allowed;
    }
    const retryAt =
      now + Math.min(b.throttleRetryMs * 2 ** (batch.throttled - 1), b.throttleRetryMaxMs);
    const visibleAt = batch.receivedAt + this.settings.visibilityTimeoutMs;
    if (retryAt < visibleAt) {
      this.scheduler.schedule(retryAt, (at) => this.#invoke(batch, at));
      return;
    }
    // Retried until the visibility timeout: the messages are visible again, receive count raised.
    this.scheduler.schedule(visibleAt, (at) => {
      this.#inFlight.delete(batch);
      for (const c of batch.cohorts) this.queue.settle(c, at, at);
      this.onVisible(at);
      this.#next(at);
    });
  }

  /** Draws the keys of records received without one (each record its own cohort). */
  #withKeys(cohorts: Cohort[]): Cohort[] {
    if (!this.keyed) return cohorts;
    let needed = false;
    for (const c of cohorts) if (c.key < 0) needed = true;
    if (!needed) return cohorts;
    const out: Cohort[] = [];
    for (const c of cohorts) {
      if (c.key >= 0) {
        out.push(c);
        continue;
      }
      const source = this.keySources[c.src];
      while (c.n > 0) {
        const one = c.n === 1 ? c : takeFront(c, 1);
        one.key = source
          ? source.groups
            ? source.keys.sampleInGroup(this.random, one.group, source.groups)
            : source.keys.sample(this.random)
          : 0;
        out.push(one);
        if (one === c) break;
      }
    }
    return out;
  }

  /** Decides what happens to each record of the batch and how long the invocation takes. */
  #plan(batch: Batch, now: number, cold: boolean): Plan {
    const s = this.settings;
    const b = this.behaviour;
    const plan: Plan = {
      durationMs: 0,
      billedMs: 0,
      timedOut: false,
      expired: false,
      deleted: [],
      skipped: [],
      deadLettered: [],
      lost: [],
      returned: [],
      requeued: [],
      acquired: [],
      failedRecords: 0,
    };
    const cohorts = this.#withKeys(batch.cohorts);
    const visibleAt = batch.receivedAt + s.visibilityTimeoutMs;
    const finalAttempt = (c: Cohort) =>
      s.lanesRuntime && s.maxReceiveCount !== undefined && c.rc >= s.maxReceiveCount;
    const stoppedGroups = s.fifo ? new Set<number>() : undefined;
    let ran = 0;
    // Only `records: groups` needs the count per group (the invocation lasts as its longest group).
    const ranByGroup = b.records === 'groups' ? new Map<number, number>() : undefined;
    for (const c of cohorts) {
      if (stoppedGroups?.has(c.group)) {
        plan.returned.push([c, visibleAt]); // skipGroupOnError: not processed, retried in order
        continue;
      }
      let rest: Cohort | undefined = c;
      // The per-key policy decides first whether the records may run.
      if (b.policy && c.key >= 0) {
        const wanted = s.fifo ? 1 : c.n;
        const granted = b.policy.acquire(c.key, wanted);
        if (granted > 0) plan.acquired.push([c.key, granted]);
        const busy = s.fifo ? (granted === 0 ? c.n : 0) : c.n - granted;
        if (busy > 0) {
          const busyPart = busy === c.n ? c : takeFront(c, busy);
          rest = busy === c.n ? undefined : c;
          const outcome = b.policy.busy(busyPart.rc, s.fifo);
          if (outcome.action === 'skip') {
            plan.skipped.push(busyPart);
          } else if (s.fifo) {
            // The first record is postponed and throws; the rest of its group waits in order.
            const first = busyPart.n === 1 ? busyPart : takeFront(busyPart, 1);
            this.stats.changeVisibilityCalls++;
            this.stats.postponed += 1;
            plan.returned.push([first, now + outcome.delaySeconds * 1000]);
            if (first !== busyPart) plan.returned.push([busyPart, visibleAt]);
            stoppedGroups?.add(c.group);
          } else if (outcome.action === 'requeue') {
            this.stats.requeued += busyPart.n;
            plan.requeued.push([busyPart, now + outcome.delaySeconds * 1000]);
          } else {
            this.stats.changeVisibilityCalls += busyPart.n;
            this.stats.postponed += busyPart.n;
            plan.returned.push([busyPart, now + outcome.delaySeconds * 1000]);
          }
        }
      }
      if (!rest) continue;
      const n = s.fifo
        ? this.#runInOrder(rest, plan, visibleAt, now, finalAttempt, stoppedGroups)
        : this.#runInParallel(rest, plan, visibleAt, now, finalAttempt);
      ran += n;
      ranByGroup?.set(c.group, (ranByGroup.get(c.group) ?? 0) + n);
    }
    let processingMs = b.invocationMs.sample(this.random);
    processingMs += this.#recordsMs(ran, ranByGroup);
    const initMs = cold ? b.coldStartMs.sample(this.random) : 0;
    if (processingMs > s.timeoutMs) {
      // The whole invocation fails: every record is retried after the visibility timeout.
      plan.timedOut = true;
      this.stats.timeouts++;
      processingMs = s.timeoutMs;
      for (const c of [...plan.deleted, ...plan.skipped, ...plan.deadLettered])
        plan.returned.push([c, visibleAt]);
      for (const [c] of plan.requeued) plan.returned.push([c, visibleAt]);
      plan.deleted.length = 0;
      plan.skipped.length = 0;
      plan.deadLettered.length = 0;
      plan.requeued.length = 0;
    } else if (!s.reportBatchItemFailures && plan.returned.length > 0) {
      if (
        plan.deleted.length +
          plan.skipped.length +
          plan.deadLettered.length +
          plan.requeued.length ===
        0
      ) {
        // Every record failed: the runtime throws and the whole batch is retried.
      } else {
        // The runtime returns normally; without ReportBatchItemFailures the mapping deletes all.
        for (const [c] of plan.returned) plan.lost.push(c);
        plan.returned.length = 0;
      }
    }
    plan.durationMs = initMs + processingMs;
    plan.billedMs = initMs + processingMs;
    return plan;
  }

  /** FIFO records of one cohort, one after another: the first failure stops the group. */
  /** Time the records that ran take together, by how the worker runs them (`records`). */
  #recordsMs(ran: number, ranByGroup: ReadonlyMap<number, number> | undefined): number {
    const { recordMs, records } = this.behaviour;
    if (records === 'sequential') return recordMs.sampleSum(this.random, ran);
    if (records === 'parallel' || !ranByGroup) return recordMs.sampleMax(this.random, ran);
    let longest = 0;
    for (const n of ranByGroup.values()) {
      if (n > 0) longest = Math.max(longest, recordMs.sampleSum(this.random, n));
    }
    return longest;
  }

  #runInOrder(
    c: Cohort,
    plan: Plan,
    visibleAt: number,
    now: number,
    finalAttempt: (c: Cohort) => boolean,
    stoppedGroups: Set<number> | undefined,
  ): number {
    const b = this.behaviour;
    let ran = 0;
    let rest: Cohort | undefined = c;
    while (rest) {
      const n = rest.n;
      const beforeError = Math.min(n, this.random.geometric(b.errorRate));
      const written =
        b.table && b.writesPerRecord > 0 && rest.key >= 0
          ? b.table.writeRecords(rest.key, beforeError, b.writesPerRecord, now)
          : beforeError;
      if (written < beforeError) this.stats.dynamoThrottledRecords++;
      this.stats.writeUnits += written * b.writesPerRecord;
      if (written === n) {
        plan.deleted.push(rest);
        return ran + n;
      }
      if (written > 0) plan.deleted.push(takeFront(rest, written));
      ran += written + 1;
      this.stats.recordFailures++;
      plan.failedRecords++;
      const failing: Cohort = rest.n === 1 ? rest : takeFront(rest, 1);
      const after: Cohort | undefined = failing === rest ? undefined : rest;
      if (finalAttempt(failing)) {
        // The lanes runtime dead-letters the record itself on its last receive and goes on.
        plan.deadLettered.push(failing);
        rest = after;
        continue;
      }
      plan.returned.push([failing, visibleAt]);
      if (after) plan.returned.push([after, visibleAt]);
      stoppedGroups?.add(c.group);
      return ran;
    }
    return ran;
  }

  /** Standard-queue records of one cohort, side by side: failures are independent. */
  #runInParallel(
    c: Cohort,
    plan: Plan,
    visibleAt: number,
    now: number,
    finalAttempt: (c: Cohort) => boolean,
  ): number {
    const b = this.behaviour;
    const n = c.n;
    const errors = this.random.binomial(n, b.errorRate);
    const fine = n - errors;
    const written =
      b.table && b.writesPerRecord > 0 && c.key >= 0
        ? b.table.writeRecords(c.key, fine, b.writesPerRecord, now)
        : fine;
    this.stats.dynamoThrottledRecords += fine - written;
    if (b.table) this.stats.writeUnits += written * b.writesPerRecord;
    const failed = n - written;
    if (failed > 0) {
      this.stats.recordFailures += failed;
      plan.failedRecords += failed;
      const failedPart = failed === n ? c : takeFront(c, failed);
      if (finalAttempt(failedPart)) plan.deadLettered.push(failedPart);
      else plan.returned.push([failedPart, visibleAt]);
      if (failedPart !== c) plan.deleted.push(c);
    } else {
      plan.deleted.push(c);
    }
    return n;
  }

  #complete(batch: Batch, plan: Plan, now: number): void {
    const stats = this.stats;
    this.fn.finish(now, plan.billedMs, !plan.timedOut);
    this.#setExecuting(this.executing - 1, now);
    this.#inFlight.delete(batch);
    const policy = this.behaviour.policy;
    if (policy) for (const [key, count] of plan.acquired) policy.release(key, count);
    if (plan.expired) {
      for (const c of plan.deleted) stats.duplicates += c.n;
      this.#next(now);
      return;
    }
    let deletes = 0;
    for (const c of plan.deleted) {
      this.queue.settle(c, undefined, now);
      stats.processed += c.n;
      stats.dwell.add(now - meanSendTime(c), c.n);
      deletes += c.n;
    }
    for (const c of plan.skipped) {
      this.queue.settle(c, undefined, now);
      stats.skipped += c.n;
      deletes += c.n;
    }
    for (const c of plan.deadLettered) {
      this.queue.settle(c, undefined, now);
      stats.deadLettered += c.n;
      deletes += c.n;
    }
    for (const c of plan.lost) {
      this.queue.settle(c, undefined, now);
      stats.lostFailures += c.n;
      deletes += c.n;
    }
    for (const [c, visibleAt] of plan.returned) this.queue.settle(c, visibleAt, now);
    for (const [c, visibleAt] of plan.requeued) {
      this.queue.settle(c, undefined, now);
      deletes += c.n;
      stats.sendCalls += c.n;
      this.queue.sendDelayed(cohort(c.n, c.t0, c.t1, c.key, c.group, c.src), visibleAt, now);
    }
    stats.deleteCalls += Math.ceil(deletes / AWS.sqs.messagesPerCall);
    if (deletes > 0) stats.lastDoneMs = now;
    this.#next(now);
  }
}
