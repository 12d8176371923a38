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
 * Windows (rate schedules): `[k * intervalMs, (k + 1) * intervalMs)`; a trigger at time `t` belongs
 * to the window containing `t`. On acquiring, the holder runs every window after the last
 * completed one up to the current one, oldest first, at most `catchUpWindows + 1` of them (older
 * missed windows are dropped and counted). Duplicate triggers for one window run it once: the
 * second finds the lease held, or finds the window already completed.
 *
 * Overlap (a trigger arrives while a run is still going):
 * - `skip`: that window is not run (the holder's successor starts after it);
 * - `bufferOne`: the holder runs the newest such window once after finishing its current work
 *   (further overlapped windows collapse into that one).
 *
 * Partitions: with `partitions = P`, each window is split into P sub-windows, each a singleton with
 * its own lease and state, run in parallel (in this process, and across processes if several
 * trigger at once).
 *
 * Cron schedules (`intervalMs` undefined): the window is the trigger's scheduled time; no catch-up
 * and no partitions, because windows cannot be enumerated without a cron evaluator.
 */

export const OverlapPolicy = { skip: 'skip', bufferOne: 'bufferOne' } as const;
export type OverlapPolicy = (typeof OverlapPolicy)[keyof typeof OverlapPolicy];

export const ScheduleStateAttributes = {
  lastWindowMs: 'lastWindowMs',
  overlapWindowMs: 'overlapWindowMs',
} as const;

export interface SingletonScheduleOptions {
  readonly store: LeaseStore;
  readonly name: string;
  /** Rate schedules: the window length. @default - a cron schedule (see above) */
  readonly intervalMs?: number;
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

export interface TriggerOutcome {
  readonly windowStartMs: number;
  readonly partitions: readonly PartitionOutcome[];
}

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
  readonly #store: LeaseStore;
  readonly #leaseDurationMs: number | undefined;

  public constructor(options: SingletonScheduleOptions) {
    this.#store = options.store;
    this.name = options.name;
    this.intervalMs = options.intervalMs;
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
    if (this.intervalMs === undefined && (this.partitions > 1 || options.catchUpWindows)) {
      throw new CoordinationConfigError(
        'intervalMs',
        undefined,
        'is required for partitions > 1 or catchUpWindows > 0 (cron windows cannot be enumerated)',
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

  /** Start of the window containing `timeMs`. */
  public windowOf(timeMs: number): number {
    return this.intervalMs === undefined
      ? timeMs
      : Math.floor(timeMs / this.intervalMs) * this.intervalMs;
  }

  /** Handles one trigger scheduled at `scheduledAtMs` (the EventBridge event's `time`). */
  public async trigger(
    scheduledAtMs: number,
    work: (window: ScheduleWindow) => Promise<void>,
  ): Promise<TriggerOutcome> {
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
    const intervalMs = this.intervalMs;
    if (intervalMs === undefined) return { windows: [currentMs], dropped: 0 };
    const missed = Math.round((currentMs - floor) / intervalMs); // includes the current one
    const take = Math.min(missed, this.catchUpWindows + 1);
    const windows = Array.from({ length: take }, (_, i) => currentMs - (take - 1 - i) * intervalMs);
    return { windows, dropped: missed - take };
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
    const size = this.intervalMs === undefined ? 0 : this.intervalMs / this.partitions;
    const startMs = windowStartMs + partition * size;
    return {
      scheduleName: this.name,
      windowStartMs,
      startMs,
      endMs: this.intervalMs === undefined ? windowStartMs : startMs + size,
      partition,
      partitions: this.partitions,
      catchUp,
      token,
      signal,
    };
  }
}
