import { z } from 'zod';
import { ScalingConfigError } from './errors.ts';
import { activeFloor, floorProblems, type ScheduleFloor, WEEKDAYS } from './floors.ts';

/** The mapping's `ScalingConfig.MaximumConcurrency` range (docs/aws-limits.md, Lambda table). */
export const MAXIMUM_CONCURRENCY_RANGE = { min: 2, max: 1_000 } as const;

/**
 * An autoscaling policy of one worker: how the mapping's maximum concurrency follows the queue.
 * At least one target: `targetBacklogPerConcurrency` (messages waiting or in flight per unit of
 * maximum concurrency, KEDA's `queueLength`) and/or `targetOldestMessageAgeSeconds` (the oldest
 * message's age; concurrency grows in proportion to how far the age is above it).
 */
export const AutoscalingPolicySchema = z
  .object({
    minConcurrency: z
      .number()
      .int()
      .min(MAXIMUM_CONCURRENCY_RANGE.min)
      .max(MAXIMUM_CONCURRENCY_RANGE.max),
    maxConcurrency: z
      .number()
      .int()
      .min(MAXIMUM_CONCURRENCY_RANGE.min)
      .max(MAXIMUM_CONCURRENCY_RANGE.max),
    targetBacklogPerConcurrency: z.number().positive().optional(),
    targetOldestMessageAgeSeconds: z.number().positive().optional(),
    /** No scale-in until this long after the last change and the last period that needed the current concurrency. */
    scaleInCooldownMs: z.number().int().min(0),
    evaluationPeriodMs: z.number().int().min(1_000),
    scheduleFloors: z
      .array(
        z.object({
          minConcurrency: z
            .number()
            .int()
            .min(MAXIMUM_CONCURRENCY_RANGE.min)
            .max(MAXIMUM_CONCURRENCY_RANGE.max),
          from: z.string(),
          to: z.string(),
          timeZone: z.string(),
          days: z.array(z.enum(WEEKDAYS)).optional(),
        }),
      )
      .default([]),
    /** The reservation the worker was deployed with: scale-in never lowers reserved concurrency below it. */
    baseReservedConcurrency: z.number().int().min(0).optional(),
  })
  .superRefine((policy, ctx) => {
    for (const problem of policyProblems(policy))
      ctx.addIssue({ code: 'custom', message: problem });
  });
export type AutoscalingPolicy = z.infer<typeof AutoscalingPolicySchema>;

/** What is wrong with a policy beyond the field types (empty when nothing). */
export function policyProblems(policy: {
  readonly minConcurrency: number;
  readonly maxConcurrency: number;
  readonly targetBacklogPerConcurrency?: number | undefined;
  readonly targetOldestMessageAgeSeconds?: number | undefined;
  readonly scheduleFloors?: readonly ScheduleFloor[] | undefined;
}): string[] {
  const problems: string[] = [];
  if (policy.minConcurrency > policy.maxConcurrency) {
    problems.push(
      `minConcurrency must not exceed maxConcurrency (given ${policy.minConcurrency} and ${policy.maxConcurrency}): raise maxConcurrency or lower minConcurrency`,
    );
  }
  if (
    policy.targetBacklogPerConcurrency === undefined &&
    policy.targetOldestMessageAgeSeconds === undefined
  ) {
    problems.push(
      'give at least one target: targetBacklogPerConcurrency (messages per unit of concurrency) and/or targetOldestMessageAge',
    );
  }
  (policy.scheduleFloors ?? []).forEach((floor, index) => {
    problems.push(...floorProblems(floor, index));
    if (
      floor.minConcurrency < policy.minConcurrency ||
      floor.minConcurrency > policy.maxConcurrency
    ) {
      problems.push(
        `scheduleFloors[${index}].minConcurrency must be within minConcurrency..maxConcurrency = ${policy.minConcurrency}..${policy.maxConcurrency} (given ${floor.minConcurrency})`,
      );
    }
  });
  return problems;
}

/** Parses a policy (the autoscaler's configuration), naming every field that is wrong. */
export function parsePolicy(raw: unknown): AutoscalingPolicy {
  const parsed = AutoscalingPolicySchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) =>
      issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    );
    throw new ScalingConfigError(`Invalid autoscaling policy: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** What the scaler saw in one evaluation period. */
export interface ScalingInputs {
  /** Messages waiting (ApproximateNumberOfMessages). */
  readonly visible: number;
  /** Messages received and not yet deleted (ApproximateNumberOfMessagesNotVisible). */
  readonly inFlight: number;
  /** Age of the oldest message (ApproximateAgeOfOldestMessage), undefined when no datapoint. */
  readonly oldestMessageAgeSeconds: number | undefined;
  /** The mapping's maximum concurrency now. */
  readonly currentMaxConcurrency: number;
  /** The function's reserved concurrency now, undefined when it has none. */
  readonly reservedConcurrency: number | undefined;
  /** Sum of the maximum concurrency of the function's other mappings (they share the reservation). */
  readonly otherMappingsConcurrency: number;
}

/** What the scaler remembers between periods (fenced by the schedule's lease token). */
export interface ScalerState {
  /** When the scaler last changed the maximum concurrency. */
  readonly lastChangeMs?: number;
  /** The last period whose demand was at least the concurrency then. */
  readonly lastBusyMs?: number;
}

export const SCALING_ACTION = { OUT: 'scale-out', IN: 'scale-in', HOLD: 'hold' } as const;
export type ScalingAction = (typeof SCALING_ACTION)[keyof typeof SCALING_ACTION];

/** One decision, with everything it was made from. */
export interface ScalingDecision {
  readonly action: ScalingAction;
  /** Maximum concurrency before and after. */
  readonly from: number;
  readonly to: number;
  /** What each target asked for (before bounds), and the bounds in force. */
  readonly demand: { readonly backlog?: number; readonly age?: number; readonly wanted: number };
  readonly bounds: { readonly min: number; readonly max: number; readonly floor: number };
  /** Reserved concurrency before and after (equal when unchanged; absent without a reservation). */
  readonly reserved?: { readonly from: number; readonly to: number };
  readonly reason: string;
  readonly state: ScalerState;
}

/**
 * Decides the mapping's maximum concurrency for one period. Scale-out is immediate; scale-in waits
 * until `scaleInCooldownMs` has passed since the last change and since the last period that still
 * needed the current concurrency (so a draining queue is not scaled in mid-burst), and then goes
 * straight to what is needed. Bounds (min, max, schedule floors) always hold, cooldown or not.
 * Reserved concurrency, when the function has one, is kept at least the sum of its mappings'
 * maximum concurrency, and lowered again after a scale-in, never below the deployed reservation
 * (`baseReservedConcurrency`; without one it is only ever raised).
 *
 * Our own: Application Auto Scaling has no target for an event source mapping's maximum
 * concurrency, and KEDA scales Kubernetes workloads; the proportional rules are theirs (target
 * tracking: wanted = ceil(metric / target per unit)).
 *
 * @example
 * const decision = decideConcurrency(policy, inputs, state, Date.now());
 * if (decision.action !== 'hold') await applyConcurrency(...);
 */
export function decideConcurrency(
  policy: AutoscalingPolicy,
  inputs: ScalingInputs,
  state: ScalerState,
  nowMs: number,
): ScalingDecision {
  const current = inputs.currentMaxConcurrency;
  const backlog = inputs.visible + inputs.inFlight;
  const byBacklog =
    policy.targetBacklogPerConcurrency === undefined
      ? undefined
      : Math.ceil(backlog / policy.targetBacklogPerConcurrency);
  const age = inputs.oldestMessageAgeSeconds;
  const byAge =
    policy.targetOldestMessageAgeSeconds === undefined || age === undefined
      ? undefined
      : Math.ceil((current * age) / policy.targetOldestMessageAgeSeconds);
  const asked = [byBacklog, byAge].filter((value): value is number => value !== undefined);
  // No usable metric (only an age target, and no datapoint yet): keep what there is.
  const wanted = asked.length > 0 ? Math.max(...asked) : current;
  const floor = activeFloor(policy.scheduleFloors, nowMs).minConcurrency;
  const lower = Math.max(policy.minConcurrency, floor);
  const bounded = Math.min(policy.maxConcurrency, Math.max(lower, wanted));
  const demand = {
    ...(byBacklog !== undefined ? { backlog: byBacklog } : {}),
    ...(byAge !== undefined ? { age: byAge } : {}),
    wanted,
  };
  const bounds = { min: policy.minConcurrency, max: policy.maxConcurrency, floor };
  const busy = wanted >= current;
  const lastBusyMs = busy ? nowMs : state.lastBusyMs;
  const quietSinceMs = Math.max(state.lastChangeMs ?? 0, lastBusyMs ?? 0);
  const outOfBounds = current < lower || current > policy.maxConcurrency;
  const explain = describeDemand(demand, backlog, age, policy);

  let to = current;
  let action: ScalingAction = SCALING_ACTION.HOLD;
  let reason: string;
  if (bounded > current) {
    to = bounded;
    action = SCALING_ACTION.OUT;
    reason =
      current < lower && wanted <= lower
        ? `below the ${floor > policy.minConcurrency ? `schedule floor ${floor}` : `minimum ${policy.minConcurrency}`}`
        : `${explain}${wanted > policy.maxConcurrency ? `, capped at the maximum ${policy.maxConcurrency}` : ''}`;
  } else if (
    bounded < current &&
    (outOfBounds || nowMs - quietSinceMs >= policy.scaleInCooldownMs)
  ) {
    to = bounded;
    action = SCALING_ACTION.IN;
    reason = outOfBounds
      ? `above the maximum ${policy.maxConcurrency}`
      : `${explain}; quiet for ${Math.round((nowMs - quietSinceMs) / 1000)} s, cooldown ${Math.round(policy.scaleInCooldownMs / 1000)} s${bounded > wanted ? `, kept at the ${floor > policy.minConcurrency && bounded === floor ? `schedule floor ${floor}` : `minimum ${lower}`}` : ''}`;
  } else if (bounded < current) {
    reason = `${explain}; scale-in waits for the cooldown (${Math.round((policy.scaleInCooldownMs - (nowMs - quietSinceMs)) / 1000)} s left)`;
  } else {
    reason = `${explain}; at ${current}`;
  }
  const reserved = plannedReservation(policy, inputs, to);
  return {
    action,
    from: current,
    to,
    demand,
    bounds,
    ...(reserved ? { reserved } : {}),
    reason,
    state: {
      ...(action === SCALING_ACTION.HOLD
        ? state.lastChangeMs !== undefined
          ? { lastChangeMs: state.lastChangeMs }
          : {}
        : { lastChangeMs: nowMs }),
      ...(lastBusyMs !== undefined ? { lastBusyMs } : {}),
    },
  };
}

function describeDemand(
  demand: ScalingDecision['demand'],
  backlog: number,
  age: number | undefined,
  policy: AutoscalingPolicy,
): string {
  const parts: string[] = [];
  if (demand.backlog !== undefined) {
    parts.push(
      `backlog ${backlog} / ${policy.targetBacklogPerConcurrency} per unit = ${demand.backlog}`,
    );
  }
  if (policy.targetOldestMessageAgeSeconds !== undefined) {
    parts.push(
      age === undefined
        ? 'oldest message age unknown (no datapoint)'
        : `oldest message ${Math.round(age)} s vs target ${policy.targetOldestMessageAgeSeconds} s = ${demand.age}`,
    );
  }
  return parts.join(', ');
}

/** The reservation the new maximum needs: sum of the mappings' maximums, never below the deployed one. */
function plannedReservation(
  policy: AutoscalingPolicy,
  inputs: ScalingInputs,
  to: number,
): { from: number; to: number } | undefined {
  const reserved = inputs.reservedConcurrency;
  if (reserved === undefined) return undefined;
  const needed = to + inputs.otherMappingsConcurrency;
  if (reserved < needed) return { from: reserved, to: needed };
  // Back down only to the deployed reservation: without one, a reservation someone set by hand
  // (lanes scale --reserved) is not the scaler's to take away.
  const base = policy.baseReservedConcurrency;
  if (base === undefined) return { from: reserved, to: reserved };
  const target = Math.max(base, needed);
  return { from: reserved, to: reserved > target ? target : reserved };
}
