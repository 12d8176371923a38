import { describe, expect, it } from 'vitest';
import { ManualClock } from '#shared/coordination/clock.ts';
import { type ScheduleWindow, SingletonSchedule } from '#shared/coordination/schedule.ts';
import { MemoryLeaseStore } from '#test/unit/coordination/support/memory-lease-store.ts';

const MINUTE = 60_000;
const T0 = 28_333_333 * MINUTE; // a window start

function setup(options: Partial<ConstructorParameters<typeof SingletonSchedule>[0]> = {}) {
  const clock = new ManualClock(T0);
  const store = new MemoryLeaseStore({ clock, defaultDurationMs: 30_000 });
  const schedule = new SingletonSchedule({ store, name: 'sweep', intervalMs: MINUTE, ...options });
  const runs: ScheduleWindow[] = [];
  const work = async (w: ScheduleWindow) => {
    runs.push(w);
  };
  return { clock, store, schedule, runs, work };
}

describe('SingletonSchedule', () => {
  describe('dueWindows', () => {
    it('runs only the current window on the first trigger ever', () => {
      const { schedule } = setup();
      expect(schedule.dueWindows({}, T0)).toEqual({ windows: [T0], dropped: 0 });
    });

    it('runs nothing for a window already completed', () => {
      const { schedule } = setup();
      expect(schedule.dueWindows({ lastWindowMs: T0 }, T0)).toEqual({ windows: [], dropped: 0 });
    });

    it('catches up missed windows oldest first, at most catchUpWindows of them', () => {
      const { schedule } = setup({ catchUpWindows: 2 });
      const due = schedule.dueWindows({ lastWindowMs: T0 }, T0 + 5 * MINUTE);
      expect(due).toEqual({
        windows: [T0 + 3 * MINUTE, T0 + 4 * MINUTE, T0 + 5 * MINUTE],
        dropped: 2,
      });
    });

    it('treats overlapped windows as settled under skip but not under bufferOne', () => {
      const skip = setup({ overlap: 'skip' }).schedule;
      const buffer = setup({ overlap: 'bufferOne' }).schedule;
      const state = { lastWindowMs: T0, overlapWindowMs: T0 + MINUTE };
      expect(skip.dueWindows(state, T0 + 2 * MINUTE).windows).toEqual([T0 + 2 * MINUTE]);
      expect(buffer.dueWindows(state, T0 + 2 * MINUTE).windows).toEqual([
        T0 + MINUTE,
        T0 + 2 * MINUTE,
      ]);
    });
  });

  describe('trigger', () => {
    it('runs a window once when triggered twice at the same time', async () => {
      const { schedule, runs, work } = setup();

      const outcomes = await Promise.all([
        schedule.trigger(T0 + 5, work),
        schedule.trigger(T0 + 9, work),
      ]);

      expect(runs.map((w) => w.windowStartMs)).toEqual([T0]);
      expect(outcomes.flatMap((o) => o.partitions.map((p) => p.status)).sort()).toEqual([
        'overlap',
        'ran',
      ]);
    });

    it('runs a window once when the duplicate arrives after the first run finished', async () => {
      const { schedule, runs, work } = setup();
      await schedule.trigger(T0, work);
      const second = await schedule.trigger(T0 + 30_000, work);
      expect(runs).toHaveLength(1);
      expect(second.partitions[0]).toMatchObject({ status: 'ran', ranWindows: [] });
    });

    it('skips a window whose trigger overlapped a long run (skip)', async () => {
      const { schedule, runs } = setup({ overlap: 'skip' });
      let overlapped: Promise<unknown> = Promise.resolve();
      await schedule.trigger(T0, async (w) => {
        runs.push(w);
        overlapped = schedule.trigger(T0 + MINUTE, async (x) => {
          runs.push(x);
        });
        await overlapped;
      });
      await schedule.trigger(T0 + 2 * MINUTE, async (w) => {
        runs.push(w);
      });
      expect(runs.map((w) => (w.windowStartMs - T0) / MINUTE)).toEqual([0, 2]);
    });

    it('runs the overlapped window once after the long run (bufferOne)', async () => {
      const { schedule, runs } = setup({ overlap: 'bufferOne' });
      const record = async (w: ScheduleWindow) => {
        runs.push(w);
      };
      const outcome = await schedule.trigger(T0, async (w) => {
        runs.push(w);
        // Two triggers arrive during the run: they collapse into the newest one.
        await schedule.trigger(T0 + MINUTE, record);
        await schedule.trigger(T0 + 2 * MINUTE, record);
      });
      expect(runs.map((w) => (w.windowStartMs - T0) / MINUTE)).toEqual([0, 2]);
      expect(outcome.partitions[0]?.ranWindows).toEqual([T0, T0 + 2 * MINUTE]);
    });

    it('splits a window into partitions, each under its own lease', async () => {
      const { schedule, runs, work, store } = setup({ partitions: 3 });
      await schedule.trigger(T0, work);
      expect(runs.map((w) => [w.partition, w.startMs - T0, w.endMs - T0]).sort()).toEqual([
        [0, 0, 20_000],
        [1, 20_000, 40_000],
        [2, 40_000, 60_000],
      ]);
      expect([...store.items.keys()].sort()).toEqual([
        'sched#sweep#p0',
        'sched#sweep#p1',
        'sched#sweep#p2',
      ]);
    });

    it('marks catch-up runs and passes the lease token', async () => {
      const { schedule, runs, work } = setup();
      await schedule.trigger(T0, work);
      await schedule.trigger(T0 + 2 * MINUTE, work);
      expect(runs.map((w) => w.catchUp)).toEqual([false, true, false]);
      expect(runs[2]?.token).toBeGreaterThan(runs[0]?.token ?? Number.POSITIVE_INFINITY);
    });

    it('uses the trigger time itself as the window for cron schedules', async () => {
      const clock = new ManualClock(T0);
      const store = new MemoryLeaseStore({ clock });
      const schedule = new SingletonSchedule({ store, name: 'cron' });
      const runs: number[] = [];
      await schedule.trigger(T0 + 7, async (w) => {
        runs.push(w.windowStartMs);
      });
      await schedule.trigger(T0 + 7, async (w) => {
        runs.push(w.windowStartMs);
      });
      expect(runs).toEqual([T0 + 7]);
    });
  });

  describe('validation', () => {
    const store = new MemoryLeaseStore();
    it.each([
      [{ intervalMs: 0 }, /intervalMs: must be a positive integer \(given 0\)/],
      [
        { intervalMs: MINUTE, partitions: 7 },
        /partitions: must divide intervalMs 60000 evenly \(given 7\)/,
      ],
      [{ intervalMs: MINUTE, catchUpWindows: -1 }, /catchUpWindows: .*given -1/],
      [{ partitions: 2 }, /intervalMs: is required for partitions > 1/],
      [
        { intervalMs: MINUTE, overlap: 'queue' as 'skip' },
        /overlap: must be 'skip' or 'bufferOne' \(given queue\)/,
      ],
    ])('rejects %o', (options, message) => {
      expect(() => new SingletonSchedule({ store, name: 's', ...options })).toThrow(message);
    });
  });
});
