import { ScalingConfigError } from './errors.ts';

/** Days of the week as schedule floors name them. */
export const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A time-based floor of the autoscaling policy: at least `minConcurrency` from `from` to `to`
 * (local time of `timeZone`, 24-hour `HH:MM` or `HH:MM:SS`; `to` may be `24:00`), on `days`.
 * A window whose `to` is earlier than its `from` runs overnight: its `days` name the day it
 * starts.
 */
export interface ScheduleFloor {
  readonly minConcurrency: number;
  readonly from: string;
  readonly to: string;
  /** An IANA time zone, e.g. `Europe/Berlin`; daylight saving time follows it. */
  readonly timeZone: string;
  /** @default - every day */
  readonly days?: readonly Weekday[];
}

const TIME = /^([01]\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?$/;

/** Seconds after local midnight of `HH:MM[:SS]`, or undefined when it is not one. */
export function secondsOfDay(time: string): number | undefined {
  const match = TIME.exec(time);
  if (!match) return undefined;
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
  return seconds > 86_400 ? undefined : seconds;
}

/** Whether `timeZone` is a time zone this runtime knows (IANA names). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * What is wrong with a floor (empty when nothing): the times, the zone, the days. Used by the
 * construct at synth time and by the runtime when it reads its configuration.
 */
export function floorProblems(floor: ScheduleFloor, index: number): string[] {
  const at = `scheduleFloors[${index}]`;
  const problems: string[] = [];
  const from = secondsOfDay(floor.from);
  const to = secondsOfDay(floor.to);
  if (from === undefined || from >= 86_400) {
    problems.push(
      `${at}.from must be HH:MM or HH:MM:SS from 00:00 to 23:59:59 (given ${JSON.stringify(floor.from)})`,
    );
  }
  if (to === undefined) {
    problems.push(
      `${at}.to must be HH:MM or HH:MM:SS from 00:00 to 24:00 (given ${JSON.stringify(floor.to)})`,
    );
  }
  if (from !== undefined && to !== undefined && from === to % 86_400) {
    problems.push(
      `${at} is empty: from and to are both ${floor.from} (given to ${floor.to}); for a whole day use from 00:00 to 24:00`,
    );
  }
  if (!isTimeZone(floor.timeZone)) {
    problems.push(
      `${at}.timeZone must be an IANA time zone such as Europe/Berlin (given ${JSON.stringify(floor.timeZone)})`,
    );
  }
  const badDays = (floor.days ?? []).filter((day) => !WEEKDAYS.includes(day));
  if (badDays.length > 0 || (floor.days !== undefined && floor.days.length === 0)) {
    problems.push(
      `${at}.days must name days of ${WEEKDAYS.join(', ')} (given ${JSON.stringify(floor.days)}); leave it out for every day`,
    );
  }
  return problems;
}

interface LocalTime {
  readonly weekday: Weekday;
  readonly secondsOfDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The weekday and time of day at `timeMs` in `timeZone`. */
export function localTime(timeMs: number, timeZone: string): LocalTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(timeMs).map((p) => [p.type, p.value]));
  const weekday = String(parts.weekday).toUpperCase().slice(0, 3) as Weekday;
  const seconds = Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
  return { weekday, secondsOfDay: seconds };
}

function previousDay(day: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7] as Weekday;
}

/**
 * Whether `floor` is in force at `timeMs`: `from` inclusive, `to` exclusive, in its time zone.
 *
 * @example
 * const office = { minConcurrency: 20, from: '08:00', to: '18:00', timeZone: 'Europe/Berlin', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'] };
 * floorApplies(office, Date.parse('2026-03-02T09:30:00+01:00')); // true (a Monday)
 */
export function floorApplies(floor: ScheduleFloor, timeMs: number): boolean {
  const from = secondsOfDay(floor.from);
  const to = secondsOfDay(floor.to);
  if (from === undefined || to === undefined) {
    throw new ScalingConfigError(
      `schedule floor times must be HH:MM[:SS] (given ${floor.from}-${floor.to})`,
    );
  }
  const { weekday, secondsOfDay: now } = localTime(timeMs, floor.timeZone);
  const onDay = (day: Weekday) => floor.days === undefined || floor.days.includes(day);
  if (from < to) return now >= from && now < to && onDay(weekday);
  // Overnight: the evening part belongs to today, the morning part to the day before.
  if (now >= from) return onDay(weekday);
  return now < to && onDay(previousDay(weekday));
}

/** The floors in force at `timeMs` and the highest of their minimums (0 when none). */
export function activeFloor(
  floors: readonly ScheduleFloor[],
  timeMs: number,
): { readonly minConcurrency: number; readonly floors: readonly ScheduleFloor[] } {
  const active = floors.filter((floor) => floorApplies(floor, timeMs));
  return {
    minConcurrency: Math.max(0, ...active.map((floor) => floor.minConcurrency)),
    floors: active,
  };
}
