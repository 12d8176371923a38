import { describe, expect, it } from 'vitest';
import {
  type AutoscalingPolicy,
  decideConcurrency,
  parsePolicy,
  type ScalingInputs,
} from '#shared/scaling/policy.ts';

const policy: AutoscalingPolicy = parsePolicy({
  minConcurrency: 2,
  maxConcurrency: 20,
  targetBacklogPerConcurrency: 100,
  scaleInCooldownMs: 10_000,
  evaluationPeriodMs: 2_000,
});

const idle: ScalingInputs = {
  visible: 0,
  inFlight: 0,
  oldestMessageAgeSeconds: undefined,
  currentMaxConcurrency: 2,
  reservedConcurrency: undefined,
  otherMappingsConcurrency: 0,
};

describe('decideConcurrency', () => {
  it('scales out at once to ceil(backlog / target), within the maximum', () => {
    const decision = decideConcurrency(
      policy,
      { ...idle, visible: 1_990, inFlight: 10 },
      {},
      1_000,
    );
    expect(decision).toMatchObject({
      action: 'scale-out',
      from: 2,
      to: 20,
      demand: { backlog: 20, wanted: 20 },
    });
    expect(decision.reason).toBe('backlog 2000 / 100 per unit = 20');
    expect(decision.state).toEqual({ lastChangeMs: 1_000, lastBusyMs: 1_000 });
    const capped = decideConcurrency(policy, { ...idle, visible: 50_000 }, {}, 1_000);
    expect(capped).toMatchObject({ to: 20, demand: { wanted: 500 } });
    expect(capped.reason).toMatch(/capped at the maximum 20/);
  });

  it('holds a scale-in until the cooldown has passed since the last change and the last busy period', () => {
    const state = { lastChangeMs: 1_000, lastBusyMs: 5_000 };
    const drained = { ...idle, currentMaxConcurrency: 20 };
    const early = decideConcurrency(policy, drained, state, 14_000);
    expect(early).toMatchObject({ action: 'hold', to: 20 });
    expect(early.reason).toMatch(/scale-in waits for the cooldown \(1 s left\)/);
    const later = decideConcurrency(policy, drained, state, 15_000);
    expect(later).toMatchObject({ action: 'scale-in', from: 20, to: 2 });
    expect(later.reason).toMatch(/quiet for 10 s, cooldown 10 s, kept at the minimum 2/);
    expect(later.state).toEqual({ lastChangeMs: 15_000, lastBusyMs: 5_000 });
  });

  it('counts a period that still needs the current concurrency as busy', () => {
    const decision = decideConcurrency(
      policy,
      { ...idle, visible: 800, currentMaxConcurrency: 8 },
      { lastChangeMs: 0 },
      30_000,
    );
    expect(decision).toMatchObject({ action: 'hold', to: 8, state: { lastBusyMs: 30_000 } });
  });

  it('never goes below the minimum or above the maximum, cooldown or not', () => {
    const below = decideConcurrency(policy, { ...idle, currentMaxConcurrency: 2 }, {}, 0);
    expect(below).toMatchObject({ action: 'hold', to: 2 });
    const above = decideConcurrency(
      policy,
      { ...idle, visible: 10_000, currentMaxConcurrency: 50 },
      { lastChangeMs: 0, lastBusyMs: 0 },
      1,
    );
    expect(above).toMatchObject({ action: 'scale-in', to: 20, reason: 'above the maximum 20' });
  });

  it('raises to a schedule floor inside its window, and lets go outside it', () => {
    const withFloor = parsePolicy({
      ...policy,
      scheduleFloors: [{ minConcurrency: 8, from: '08:00', to: '18:00', timeZone: 'UTC' }],
    });
    const inside = decideConcurrency(withFloor, idle, {}, Date.parse('2026-05-04T09:00:00Z'));
    expect(inside).toMatchObject({ action: 'scale-out', to: 8, bounds: { floor: 8 } });
    expect(inside.reason).toBe('below the schedule floor 8');
    const after = decideConcurrency(
      withFloor,
      { ...idle, currentMaxConcurrency: 8 },
      { lastChangeMs: 0, lastBusyMs: 0 },
      Date.parse('2026-05-04T18:00:00Z'),
    );
    expect(after).toMatchObject({ action: 'scale-in', to: 2, bounds: { floor: 0 } });
  });

  it('scales by the oldest message age in proportion to the target', () => {
    const byAge = parsePolicy({
      minConcurrency: 2,
      maxConcurrency: 50,
      targetOldestMessageAgeSeconds: 60,
      scaleInCooldownMs: 0,
      evaluationPeriodMs: 60_000,
    });
    const slow = decideConcurrency(
      byAge,
      { ...idle, currentMaxConcurrency: 5, oldestMessageAgeSeconds: 240 },
      {},
      0,
    );
    expect(slow).toMatchObject({ action: 'scale-out', to: 20, demand: { age: 20 } });
    expect(slow.reason).toBe('oldest message 240 s vs target 60 s = 20');
    const unknown = decideConcurrency(byAge, { ...idle, currentMaxConcurrency: 5 }, {}, 0);
    expect(unknown).toMatchObject({ action: 'hold', to: 5 });
    expect(unknown.reason).toMatch(/oldest message age unknown \(no datapoint\)/);
  });

  it('takes the larger of the two targets', () => {
    const both = parsePolicy({ ...policy, targetOldestMessageAgeSeconds: 30 });
    const decision = decideConcurrency(
      both,
      { ...idle, visible: 300, currentMaxConcurrency: 4, oldestMessageAgeSeconds: 90 },
      {},
      0,
    );
    expect(decision.demand).toEqual({ backlog: 3, age: 12, wanted: 12 });
    expect(decision.to).toBe(12);
  });

  it('keeps reserved concurrency >= the sum of the mappings, never below the deployed one', () => {
    const reserving = parsePolicy({ ...policy, baseReservedConcurrency: 6 });
    const out = decideConcurrency(
      reserving,
      { ...idle, visible: 1_500, reservedConcurrency: 6, otherMappingsConcurrency: 3 },
      {},
      0,
    );
    expect(out).toMatchObject({ to: 15, reserved: { from: 6, to: 18 } });
    const back = decideConcurrency(
      reserving,
      { ...idle, currentMaxConcurrency: 15, reservedConcurrency: 18, otherMappingsConcurrency: 3 },
      { lastChangeMs: 0, lastBusyMs: 0 },
      60_000,
    );
    expect(back).toMatchObject({ to: 2, reserved: { from: 18, to: 6 } });
    const none = decideConcurrency(policy, { ...idle, visible: 1_500 }, {}, 0);
    expect(none.reserved).toBeUndefined();
    // Without a deployed reservation, one set by hand is raised when needed but never lowered.
    const byHand = decideConcurrency(
      policy,
      { ...idle, currentMaxConcurrency: 3, reservedConcurrency: 4 },
      {},
      60_000,
    );
    expect(byHand).toMatchObject({ to: 2, reserved: { from: 4, to: 4 } });
  });
});

describe('parsePolicy', () => {
  it('names every field that is wrong', () => {
    expect(() =>
      parsePolicy({
        minConcurrency: 1,
        maxConcurrency: 20,
        scaleInCooldownMs: -1,
        evaluationPeriodMs: 2_000,
      }),
    ).toThrow(/minConcurrency: .*>=2.*scaleInCooldownMs: .*>=0.*give at least one target/s);
    expect(() =>
      parsePolicy({
        minConcurrency: 5,
        maxConcurrency: 4,
        targetBacklogPerConcurrency: 10,
        scaleInCooldownMs: 0,
        evaluationPeriodMs: 2_000,
        scheduleFloors: [{ minConcurrency: 3, from: '9', to: '10:00', timeZone: 'UTC' }],
      }),
    ).toThrow(
      /minConcurrency must not exceed maxConcurrency \(given 5 and 4\).*scheduleFloors\[0\]\.from must be HH:MM/s,
    );
  });
});
