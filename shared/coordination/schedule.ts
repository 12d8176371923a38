import { Logger } from '@aws-lambda-powertools/logger';
import { AwsCron } from './aws-cron.ts';
import { CoordinationConfigError, LeaseHeldError } from './errors.ts';
import {
  assertNonNegativeInteger,
  assertPositiveInteger,
  type Lease,
  type LeaseStore,
} from './lease.ts';

/**
 * Singleton schedules: every trigger (an EventBridge schedule event, possibly delivered twice)
 * runs the due windows of the schedule only under the schedule's lease, so one runner at a time.
 *
 * State lives on the lease item itself, so acquiring returns it in the same request:
 * - `lastWindowMs`: start of the last window that completed (fenced write: a former holder whose
 *   lease was taken over cannot move it);
 * - `overlapWindowMs`: the newest window whose trigger found the lease held (raised by non-holders).
 *
 * Windows: rate schedules `[k * intervalMs, (k + 1) * intervalMs)`; cron schedules (`cron`) run
 * from one scheduled time ("tick") of the expression to the next. A trigger at time `t` belongs
 * to the window containing `t`. On acquiring, the holder runs every window after the last
 * completed one up to the current one, oldest first, at most `catchUpWindows + 1` of them (older
 * missed windows are dropped and counted). Duplicate triggers for one window run it once: the
 * second finds the lease held, or finds the window already completed.
 *
 * Implausible triggers: a trigger time more than `triggerTolerance.futureMs` ahead of the clock,
 * or more than `triggerTolerance.pastMs` behind it, is refused: nothing runs, no state moves
 * (a time in 2031 would otherwise set the last window to 2031 and silence the schedule until
 * then), and it is logged at error level with both times.
 *
 * Overlap (a trigger arrives while a run is still going):
 * - `skip`: that window is not run (the holder's successor starts after it);
 * - `bufferOne`: the holder runs the newest such window once after finishing its current work
 *   (further overlapped windows collapse into that one).
 *
 * Partitions: with `partitions = P`, each window is split into P sub-windows, each a singleton with
 * its own lease and state, run in parallel (in this process, and across processes if several
 * trigger at once). Cron windows can differ in length; each is split into P near-equal parts.
 *
 * Neither `intervalMs` nor `cron`: the window is the trigger's time itself (no catch-up, no
 * partitions), for schedules whose times cannot be enumerated.
 */

export const OverlapPolicy = { skip: 'skip', bufferOne: 'bufferOne' } as const;
export type OverlapPolicy = (typeof OverlapPolicy)[keyof typeof OverlapPolicy];

export const ScheduleStateAttributes = {
  lastWindowMs: 'lastWindowMs',
  overlapWindowMs: 'overlapWindowMs',
} as const;

/**
 * How far a trigger's time may be from the clock. Defaults: 5 minutes ahead (an EventBridge
 * trigger is delivered at or after its scheduled time; this leaves room for clock error, which
 * Amazon Time Sync keeps far below a second) and 30 hours behind (EventBridge retries delivery to
 * a target for up to 24 hours, and Lambda retries an asynchronous invocation for up to 6 more).
 */
export const DEFAULT_TRIGGER_TOLERANCE = {
  futureMs: 5 * 60_000,
  pastMs: 30 * 3_600_000,
} as const;

export interface TriggerTolerance {
  /** @default 300000 (5 minutes) */
  readonly futureMs?: number;
  /** @default 108000000 (30 hours) */
  readonly pastMs?: number;
}

/** The logging a schedule needs (a Powertools Logger fits). */
export type ScheduleLogger = Pick<Logger, 'error'>;

export interface SingletonScheduleOptions {
  readonly store: LeaseStore;
  readonly name: string;
  /** Rate schedules: the window length. @default - none (give this, `cron`, or neither) */
  readonly intervalMs?: number;
  /**
   * Cron schedules: the EventBridge expression, `cron(minutes hours day-of-month month
   * day-of-week year)` (UTC); windows run from one of its times to the next.
   * @default - none
   */
  readonly cron?: string;
  /** How far from the clock a trigger time may be before it is refused. @default DEFAULT_TRIGGER_TOLERANCE */
  readonly triggerTolerance?: TriggerTolerance;
  /** @default - a Powertools Logger (service `POWERTOOLS_SERVICE_NAME`, else `lanes-schedule`) */
  readonly logger?: ScheduleLogger;
  /** Missed windows run on recovery, besides the current one. @default 3 */
  readonly catchUpWindows?: number;
  /** @default 'skip' */
  readonly overlap?: OverlapPolicy;
  /** @default 1 */
  readonly partitions?: number;
  /** Lease duration; renewed every third of it while windows run. @default the store's default */
  readonly leaseDurationMs?: number;
}

/** The (sub-)window a run covers, and the token to fence its writes with. */
export interface ScheduleWindow {
  readonly scheduleName: string;
  /** Start of the whole window (identity of the run). */
  readonly windowStartMs: number;
  /** The part of the window this partition covers: `[startMs, endMs)`. */
  readonly startMs: number;
  readonly endMs: number;
  readonly partition: number;
  readonly partitions: number;
  /** True when run as catch-up for a missed window. */
  readonly catchUp: boolean;
  readonly token: number;
  readonly signal: AbortSignal;
}

export interface PartitionOutcome {
  readonly partition: number;
  /** `ran`: held the lease (possibly with nothing due); `overlap`: lease held by another run. */
  readonly status: 'ran' | 'overlap';
  readonly ranWindows: readonly number[];
  /** Missed windows beyond `catchUpWindows` that were dropped. */
  readonly droppedWindows: number;
}

/** Why a trigger was refused (its time is implausible); nothing ran and no state moved. */
export interface TriggerRefusal {
  readonly reason: string;
  readonly scheduledAtMs: number;
  readonly nowMs: number;
}

export interface TriggerOutcome {
  readonly windowStartMs: number;
  readonly partitions: readonly PartitionOutcome[];
  /** Set when the trigger was refused (`partitions` is then empty). */
  readonly refused?: TriggerRefusal;
}

/** Counting missed cron windows stops here; `droppedWindows` is then a lower bound. */
const MAX_COUNTED_CRON_WINDOWS = 10_000;

/**
 * @example
 * const schedule = new SingletonSchedule({ store: leases, name: 'sweep', intervalMs: 60_000 });
 * await schedule.trigger(Date.parse(event.time), async (w) => sweep(w.startMs, w.endMs, w.token));
 */
export class SingletonSchedule {
  public readonly name: string;
  public readonly intervalMs: number | undefined;
  public readonly catchUpWindows: number;
  public readonly overlap: OverlapPolicy;
  public readonly partitions: number;
  /** The parsed cron expression (cron schedules). */
  public readonly cron: AwsCron | undefined;
  public readonly triggerTolerance: Required<TriggerTolerance>;
  readonly #store: LeaseStore;
  readonly #leaseDurationMs: number | undefined;
  readonly #logger: ScheduleLogger;

  public constructor(options: SingletonScheduleOptions) {
    this.#store = options.store;
    this.name = options.name;
    this.intervalMs = options.intervalMs;
    if (options.intervalMs !== undefined && options.cron !== undefined) {
      throw new CoordinationConfigError(
        'cron',
        options.cron,
        `cannot be combined with intervalMs ${options.intervalMs}; give one of them`,
      );
    }
    this.cron = options.cron === undefined ? undefined : AwsCron.parse(options.cron);
    this.triggerTolerance = { ...DEFAULT_TRIGGER_TOLERANCE, ...options.triggerTolerance };
    assertNonNegativeInteger('triggerTolerance.futureMs', this.triggerTolerance.futureMs);
    assertNonNegativeInteger('triggerTolerance.pastMs', this.triggerTolerance.pastMs);
    this.#logger =
      options.logger ??
      new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lanes-schedule' });
    this.catchUpWindows = options.catchUpWindows ?? 3;
    this.overlap = options.overlap ?? OverlapPolicy.skip;
    this.partitions = options.partitions ?? 1;
    this.#leaseDurationMs = options.leaseDurationMs;
    if (this.intervalMs !== undefined) assertPositiveInteger('intervalMs', this.intervalMs);
    assertNonNegativeInteger('catchUpWindows', this.catchUpWindows);
    assertPositiveInteger('partitions', this.partitions);
    if (!Object.values(OverlapPolicy).includes(this.overlap)) {
      throw new CoordinationConfigError('overlap', this.overlap, "must be 'skip' or 'bufferOne'");
    }
    if (!this.#enumerable && (this.partitions > 1 || options.catchUpWindows)) {
      throw new CoordinationConfigError(
        'intervalMs',
        undefined,
        'or cron is required for partitions > 1 or catchUpWindows > 0 (windows must be enumerable)',
      );
    }
    if (this.intervalMs !== undefined && this.intervalMs % this.partitions !== 0) {
      throw new CoordinationConfigError(
        'partitions',
        this.partitions,
        `must divide intervalMs ${this.intervalMs} evenly`,
      );
    }
  }

  /** Lease name of one partition. */
  public leaseName(partition: number): string {
    return `sched#${this.name}#p${partition}`;
  }

  /** Whether windows can be enumerated (rate or cron schedule). */
  get #enumerable(): boolean {
    return this.intervalMs !== undefined || this.cron !== undefined;
  }

  /**
   * Start of the window containing `timeMs`: the rate window, the latest cron time at or before
   * it (`timeMs` itself when the expression has none, e.g. before its first year), or `timeMs`.
   */
  public windowOf(timeMs: number): number {
    if (this.intervalMs !== undefined)
      return Math.floor(timeMs / this.intervalMs) * this.intervalMs;
    if (this.cron !== undefined) return this.cron.latestAtOrBefore(timeMs) ?? timeMs;
    return timeMs;
  }

  /** End of the window starting at `windowStartMs` (exclusive). */
  public windowEnd(windowStartMs: number): number {
    if (this.intervalMs !== undefined) return windowStartMs + this.intervalMs;
    if (this.cron !== undefined) {
      const next = this.cron.nextAfter(windowStartMs);
      if (next !== undefined) return next;
      // The expression's last time (a year-bounded schedule): as long as the window before it.
      const previous = this.cron.latestAtOrBefore(windowStartMs - 1);
      return previous === undefined ? windowStartMs : 2 * windowStartMs - previous;
    }
    return windowStartMs;
  }

  /** Why `scheduledAtMs` is refused as a trigger time at `nowMs`, or undefined if plausible. */
  public implausibility(scheduledAtMs: number, nowMs: number): string | undefined {
    const { futureMs, pastMs } = this.triggerTolerance;
    if (!Number.isFinite(scheduledAtMs)) return 'the trigger time is not a number';
    if (scheduledAtMs - nowMs > futureMs) {
      return `the trigger time ${new Date(scheduledAtMs).toISOString()} is ${Math.round((scheduledAtMs - nowMs) / 1000)} s ahead of the clock (${new Date(nowMs).toISOString()}), beyond the tolerance of ${futureMs / 1000} s`;
    }
    if (nowMs - scheduledAtMs > pastMs) {
      return `the trigger time ${new Date(scheduledAtMs).toISOString()} is ${Math.round((nowMs - scheduledAtMs) / 1000)} s behind the clock (${new Date(nowMs).toISOString()}), beyond the tolerance of ${pastMs / 1000} s`;
    }
    if (this.cron !== undefined && this.cron.latestAtOrBefore(scheduledAtMs) === undefined) {
      return `${this.cron.expression} has no scheduled time at or before ${new Date(scheduledAtMs).toISOString()}`;
    }
    return undefined;
  }

  /**
   * Handles one trigger scheduled at `scheduledAtMs` (the EventBridge event's `time`). A time
   * beyond the trigger tolerance is refused: logged, nothing run, no state moved.
   */
  public async trigger(
    scheduledAtMs: number,
    work: (window: ScheduleWindow) => Promise<void>,
  ): Promise<TriggerOutcome> {
    const nowMs = this.#store.clock.nowMs();
    const reason = this.implausibility(scheduledAtMs, nowMs);
    if (reason !== undefined) {
      const refused = { reason, scheduledAtMs, nowMs };
      this.#logger.error(`Schedule ${this.name}: trigger refused, nothing run: ${reason}`, {
        schedule: this.name,
        ...refused,
      });
      return { windowStartMs: scheduledAtMs, partitions: [], refused };
    }
    const windowStartMs = this.windowOf(scheduledAtMs);
    const partitions = await Promise.all(
      Array.from({ length: this.partitions }, (_, p) => this.#runPartition(p, windowStartMs, work)),
    );
    return { windowStartMs, partitions };
  }

  /**
   * Windows to run for a holder whose state is `state`, triggered in window `currentMs`:
   * oldest first, at most `catchUpWindows + 1`.
   */
  public dueWindows(
    state: Readonly<Record<string, number>>,
    currentMs: number,
  ): { windows: number[]; dropped: number } {
    const last = state[ScheduleStateAttributes.lastWindowMs];
    const overlapped = state[ScheduleStateAttributes.overlapWindowMs];
    // Under `skip`, windows up to the last overlapped one are settled; under `bufferOne` they
    // are only settled once run, so a crashed holder's buffered window is caught up.
    const floor =
      this.overlap === OverlapPolicy.skip && overlapped !== undefined
        ? Math.max(last ?? Number.NEGATIVE_INFINITY, overlapped)
        : last;
    if (floor === undefined) return { windows: [currentMs], dropped: 0 };
    if (currentMs <= floor) return { windows: [], dropped: 0 };
    if (this.cron !== undefined) return this.#dueCronWindows(this.cron, floor, currentMs);
    const intervalMs = this.intervalMs;
    if (intervalMs === undefined) return { windows: [currentMs], dropped: 0 };
    const missed = Math.round((currentMs - floor) / intervalMs); // includes the current one
    const take = Math.min(missed, this.catchUpWindows + 1);
    const windows = Array.from({ length: take }, (_, i) => currentMs - (take - 1 - i) * intervalMs);
    return { windows, dropped: missed - take };
  }

  /** Cron windows after `floor` up to `currentMs`: the newest `catchUpWindows + 1`, oldest first. */
  #dueCronWindows(
    cron: AwsCron,
    floor: number,
    currentMs: number,
  ): { windows: number[]; dropped: number } {
    const windows: number[] = [currentMs];
    while (windows.length < this.catchUpWindows + 1) {
      const previous = cron.latestAtOrBefore((windows[0] as number) - 1);
      if (previous === undefined || previous <= floor) break;
      windows.unshift(previous);
    }
    let dropped = 0;
    let tick = cron.nextAfter(floor);
    while (
      tick !== undefined &&
      tick < (windows[0] as number) &&
      dropped < MAX_COUNTED_CRON_WINDOWS
    ) {
      dropped++;
      tick = cron.nextAfter(tick);
    }
    return { windows, dropped };
  }

  async #runPartition(
    partition: number,
    windowStartMs: number,
    work: (window: ScheduleWindow) => Promise<void>,
  ): Promise<PartitionOutcome> {
    const name = this.leaseName(partition);
    const options =
      this.#leaseDurationMs === undefined ? {} : { durationMs: this.#leaseDurationMs };
    try {
      return await this.#store.runExclusive(
        name,
        async ({ lease, signal }) => {
          let held: Lease = lease();
          const { windows, dropped } = this.dueWindows(held.state, windowStartMs);
          const ran: number[] = [];
          const runWindow = async (w: number, catchUp: boolean) => {
            await work(this.#window(w, partition, catchUp, held.token, signal));
            held = await this.#store.writeState(held, {
              [ScheduleStateAttributes.lastWindowMs]: w,
            });
            ran.push(w);
          };
          for (const w of windows) {
            if (signal.aborted) break;
            await runWindow(w, w !== windowStartMs);
          }
          if (this.overlap === OverlapPolicy.bufferOne) {
            // Run the newest window that arrived while we were busy, once; repeat while new ones arrive.
            for (;;) {
              const buffered = held.state[ScheduleStateAttributes.overlapWindowMs];
              const last = held.state[ScheduleStateAttributes.lastWindowMs];
              if (
                signal.aborted ||
                buffered === undefined ||
                last === undefined ||
                buffered <= last
              )
                break;
              await runWindow(buffered, false);
            }
          }
          return { partition, status: 'ran' as const, ranWindows: ran, droppedWindows: dropped };
        },
        options,
      );
    } catch (error) {
      if (!(error instanceof LeaseHeldError)) throw error;
      await this.#store.raiseState(name, ScheduleStateAttributes.overlapWindowMs, windowStartMs);
      return { partition, status: 'overlap', ranWindows: [], droppedWindows: 0 };
    }
  }

  #window(
    windowStartMs: number,
    partition: number,
    catchUp: boolean,
    token: number,
    signal: AbortSignal,
  ): ScheduleWindow {
    const length = this.windowEnd(windowStartMs) - windowStartMs;
    const at = (p: number) => windowStartMs + Math.floor((p * length) / this.partitions);
    return {
      scheduleName: this.name,
      windowStartMs,
      startMs: at(partition),
      endMs: at(partition + 1),
      partition,
      partitions: this.partitions,
      catchUp,
      token,
      signal,
    };
  }
}
