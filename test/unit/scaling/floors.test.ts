import { describe, expect, it } from 'vitest';
import {
  activeFloor,
  floorApplies,
  floorProblems,
  type ScheduleFloor,
} from '#shared/scaling/floors.ts';

const weekdays: ScheduleFloor = {
  minConcurrency: 20,
  from: '08:00',
  to: '18:00',
  timeZone: 'Europe/Berlin',
  days: ['MON', 'TUE', 'WED', 'THU', 'FRI'],
};

describe('floorApplies', () => {
  it('applies from `from` (inclusive) to `to` (exclusive) in its time zone', () => {
    // 2026-03-02 is a Monday; Berlin is UTC+1 in winter.
    expect(floorApplies(weekdays, Date.parse('2026-03-02T06:59:59Z'))).toBe(false);
    expect(floorApplies(weekdays, Date.parse('2026-03-02T07:00:00Z'))).toBe(true);
    expect(floorApplies(weekdays, Date.parse('2026-03-02T16:59:59Z'))).toBe(true);
    expect(floorApplies(weekdays, Date.parse('2026-03-02T17:00:00Z'))).toBe(false);
  });

  it('follows daylight saving time (Berlin is UTC+2 in summer)', () => {
    expect(floorApplies(weekdays, Date.parse('2026-07-06T06:00:00Z'))).toBe(true); // 08:00 local
    expect(floorApplies(weekdays, Date.parse('2026-07-06T05:59:00Z'))).toBe(false);
  });

  it('skips the days it does not name, by the local day', () => {
    expect(floorApplies(weekdays, Date.parse('2026-03-07T10:00:00Z'))).toBe(false); // Saturday
    // Sunday 23:30 UTC is Monday 00:30 in Tokyo.
    const tokyo = {
      ...weekdays,
      from: '00:00',
      to: '01:00',
      timeZone: 'Asia/Tokyo',
      days: ['MON' as const],
    };
    expect(floorApplies(tokyo, Date.parse('2026-03-01T15:30:00Z'))).toBe(true);
  });

  it('runs an overnight window into the next morning, counted on the day it starts', () => {
    const night: ScheduleFloor = {
      minConcurrency: 10,
      from: '22:00',
      to: '06:00',
      timeZone: 'UTC',
      days: ['FRI'],
    };
    expect(floorApplies(night, Date.parse('2026-03-06T23:00:00Z'))).toBe(true); // Friday night
    expect(floorApplies(night, Date.parse('2026-03-07T05:59:00Z'))).toBe(true); // Saturday morning
    expect(floorApplies(night, Date.parse('2026-03-07T06:00:00Z'))).toBe(false);
    expect(floorApplies(night, Date.parse('2026-03-06T05:00:00Z'))).toBe(false); // Friday morning: Thursday's night
  });

  it('takes seconds and 24:00', () => {
    const toMidnight: ScheduleFloor = {
      minConcurrency: 4,
      from: '23:59:30',
      to: '24:00',
      timeZone: 'UTC',
    };
    expect(floorApplies(toMidnight, Date.parse('2026-03-06T23:59:45Z'))).toBe(true);
    expect(floorApplies(toMidnight, Date.parse('2026-03-06T23:59:29Z'))).toBe(false);
  });
});

describe('activeFloor', () => {
  it('is the highest minimum of the floors in force, 0 when none', () => {
    const floors: ScheduleFloor[] = [
      { minConcurrency: 4, from: '00:00', to: '24:00', timeZone: 'UTC' },
      { minConcurrency: 9, from: '12:00', to: '13:00', timeZone: 'UTC' },
    ];
    expect(activeFloor(floors, Date.parse('2026-03-06T12:30:00Z')).minConcurrency).toBe(9);
    expect(activeFloor(floors, Date.parse('2026-03-06T14:00:00Z')).minConcurrency).toBe(4);
    expect(activeFloor([], 0).minConcurrency).toBe(0);
  });
});

describe('floorProblems', () => {
  it('accepts a good floor', () => {
    expect(floorProblems(weekdays, 0)).toEqual([]);
  });
});
