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

  describe('cron schedules', () => {
    const WEEKDAYS_NOON = 'cron(0 12 ? * MON-FRI *)';
    const at = (iso: string) => Date.parse(iso);
    function cronSetup(options: Partial<ConstructorParameters<typeof SingletonSchedule>[0]> = {}) {
      const clock = new ManualClock(at('2026-03-06T12:00:30Z')); // a Friday, just after noon
      const store = new MemoryLeaseStore({ clock, defaultDurationMs: 30_000 });
      const schedule = new SingletonSchedule({
        store,
        name: 'weekday',
        cron: WEEKDAYS_NOON,
        ...options,
      });
      const runs: ScheduleWindow[] = [];
      const work = async (w: ScheduleWindow) => {
        runs.push(w);
      };
      return { clock, store, schedule, runs, work };
    }

    it('windows run from one scheduled time to the next (Friday noon to Monday noon)', () => {
      const { schedule } = cronSetup();
      const friday = at('2026-03-06T12:00:00Z');
      expect(schedule.windowOf(at('2026-03-07T18:00:00Z'))).toBe(friday);
      expect(schedule.windowEnd(friday)).toBe(at('2026-03-09T12:00:00Z'));
    });

    it('catches up missed windows oldest first, at most catchUpWindows of them, counting the dropped', () => {
      const { schedule } = cronSetup({ catchUpWindows: 2 });
      const monday = at('2026-03-02T12:00:00Z');
      const due = schedule.dueWindows({ lastWindowMs: monday }, at('2026-03-06T12:00:00Z'));
      expect(due.windows.map((w) => new Date(w).toISOString().slice(0, 10))).toEqual([
        '2026-03-04',
        '2026-03-05',
        '2026-03-06',
      ]);
      expect(due.dropped).toBe(1); // Tuesday
    });

    it('has nothing to catch up over a weekend, which has no scheduled times', () => {
      const { schedule } = cronSetup();
      const due = schedule.dueWindows(
        { lastWindowMs: at('2026-03-06T12:00:00Z') },
        at('2026-03-09T12:00:00Z'),
      );
      expect(due).toEqual({ windows: [at('2026-03-09T12:00:00Z')], dropped: 0 });
    });

    it('runs the missed windows on a trigger after downtime, each once', async () => {
      const { schedule, runs, work, clock } = cronSetup({ catchUpWindows: 3 });
      clock.set(at('2026-03-02T12:00:05Z'));
      await schedule.trigger(at('2026-03-02T12:00:00Z'), work);
      clock.set(at('2026-03-05T12:00:05Z'));
      await schedule.trigger(at('2026-03-05T12:00:00Z'), work);
      await schedule.trigger(at('2026-03-05T12:00:00Z'), work); // a duplicate delivery
      expect(runs.map((w) => [w.windowStartMs, w.catchUp])).toEqual([
        [at('2026-03-02T12:00:00Z'), false],
        [at('2026-03-03T12:00:00Z'), true],
        [at('2026-03-04T12:00:00Z'), true],
        [at('2026-03-05T12:00:00Z'), false],
      ]);
      expect(runs.map((w) => w.endMs - w.startMs)).toEqual(new Array(4).fill(86_400_000));
    });

    it('splits a cron window into partitions that cover it exactly, each under its own lease', async () => {
      const { schedule, runs, work, store } = cronSetup({ partitions: 3 });
      await schedule.trigger(at('2026-03-06T12:00:00Z'), work);
      const parts = runs
        .map((w) => [
          w.partition,
          new Date(w.startMs).toISOString(),
          new Date(w.endMs).toISOString(),
        ])
        .sort();
      expect(parts).toEqual([
        [0, '2026-03-06T12:00:00.000Z', '2026-03-07T12:00:00.000Z'],
        [1, '2026-03-07T12:00:00.000Z', '2026-03-08T12:00:00.000Z'],
        [2, '2026-03-08T12:00:00.000Z', '2026-03-09T12:00:00.000Z'],
      ]);
      expect([...store.items.keys()].sort()).toEqual([
        'sched#weekday#p0',
        'sched#weekday#p1',
        'sched#weekday#p2',
      ]);
    });

    it('rejects cron together with intervalMs, and an expression it cannot evaluate', () => {
      const store = new MemoryLeaseStore();
      expect(
        () => new SingletonSchedule({ store, name: 's', cron: WEEKDAYS_NOON, intervalMs: MINUTE }),
      ).toThrow(/cron: cannot be combined with intervalMs 60000/);
      expect(
        () => new SingletonSchedule({ store, name: 's', cron: 'cron(0 12 15W * ? *)' }),
      ).toThrow(/uses W \(nearest weekday\)/);
    });
  });

  describe('implausible trigger times', () => {
    function recordingLogger() {
      const errors: { message: string; extra: unknown }[] = [];
      return {
        errors,
        logger: {
          error: (message: string, extra?: unknown) => {
            errors.push({ message, extra });
          },
        } as never,
      };
    }

    it('refuses a trigger far in the future: nothing runs, no state moves, and it is logged', async () => {
      const { logger, errors } = recordingLogger();
      const { schedule, runs, work, store } = setup({ logger });
      await schedule.trigger(T0, work);
      const before = await store.read(schedule.leaseName(0));

      const in2031 = Date.parse('2031-01-01T00:00:00Z');
      const outcome = await schedule.trigger(in2031, work);

      expect(outcome.partitions).toEqual([]);
      expect(outcome.refused).toMatchObject({ scheduledAtMs: in2031, nowMs: T0 });
      expect(outcome.refused?.reason).toMatch(
        /trigger time 2031-01-01T00:00:00\.000Z is \d+ s ahead of the clock .* beyond the tolerance of 300 s/,
      );
      expect(runs).toHaveLength(1);
      expect(await store.read(schedule.leaseName(0))).toEqual(before);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(/^Schedule sweep: trigger refused, nothing run: /);
      // The next real trigger runs normally: the far-future time did not silence the schedule.
      await schedule.trigger(T0 + MINUTE, work);
      expect(runs.map((w) => w.windowStartMs)).toEqual([T0, T0 + MINUTE]);
    });

    it('refuses a trigger older than the past tolerance, and accepts a late but plausible one', async () => {
      const { logger, errors } = recordingLogger();
      const { schedule, runs, work, clock } = setup({ logger, catchUpWindows: 0 });
      clock.advance(31 * 3_600_000);
      const old = await schedule.trigger(T0, work);
      expect(old.refused?.reason).toMatch(/is 111600 s behind the clock .* tolerance of 108000 s/);
      expect(runs).toHaveLength(0);

      const late = await schedule.trigger(T0 + 29 * 3_600_000, work); // delivered 2 h late
      expect(late.refused).toBeUndefined();
      expect(runs).toHaveLength(1);
      expect(errors).toHaveLength(1);
    });

    it('accepts small clock differences and honours a custom tolerance', async () => {
      const { schedule, runs, work } = setup({
        logger: recordingLogger().logger,
        triggerTolerance: { futureMs: 1_000 },
      });
      expect((await schedule.trigger(T0 + 900, work)).refused).toBeUndefined();
      expect((await schedule.trigger(T0 + 2 * MINUTE, work)).refused?.reason).toMatch(
        /tolerance of 1 s/,
      );
      expect(runs).toHaveLength(1);
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
      [{ partitions: 2 }, /intervalMs: or cron is required for partitions > 1/],
      [
        { intervalMs: MINUTE, overlap: 'queue' as 'skip' },
        /overlap: must be 'skip' or 'bufferOne' \(given queue\)/,
      ],
    ])('rejects %o', (options, message) => {
      expect(() => new SingletonSchedule({ store, name: 's', ...options })).toThrow(message);
    });
  });
});
