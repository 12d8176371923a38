import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { Clock } from '../shared/coordination/clock.ts';
import { DynamoDBLeaseStore } from '../shared/coordination/dynamodb-lease-store.ts';
import { CoordinationConfigError } from '../shared/coordination/errors.ts';
import {
  type OverlapPolicy,
  type ScheduleWindow,
  SingletonSchedule,
  type TriggerOutcome,
} from '../shared/coordination/schedule.ts';
import { ScheduleEnv } from '../shared/coordination/schedule-env.ts';
import { integerEnv, optionalEnv, requireEnv } from '../shared/env.ts';
import { LANES_METRICS_NAMESPACE, SCHEDULE_METRICS } from '../shared/observability/metrics.ts';

/** What the work of a scheduled function receives besides the window. */
export interface ScheduleWorkContext {
  readonly tableName: string;
  readonly lambdaContext: Context | undefined;
  /** The trigger's `source`: `aws.events` for the rule, anything else for direct invokes. */
  readonly source: string;
}

/**
 * A Lambda handler for a singleton schedule, configured from the environment the
 * `SingletonSchedule` construct sets. The window comes from the event's `time` (the scheduled
 * time, identical for duplicate deliveries); a direct invoke without `time` uses the clock. A
 * time beyond the schedule's trigger tolerance is refused without moving state and logged (the
 * outcome's `refused`); the invocation still succeeds, as retrying it could not help. Each
 * handled trigger emits the schedule's heartbeat metric (`ScheduleHeartbeat`, namespace `lanes`,
 * `service` = POWERTOOLS_SERVICE_NAME, which the construct sets to the schedule's name): the
 * construct's missed-runs alarm fires when it stops.
 *
 * @example
 * // functions/scheduler-sweep.ts
 * export const handler = createScheduleHandler(async (window) => sweep(window.startMs, window.endMs, window.token));
 */
export function createScheduleHandler(
  work: (window: ScheduleWindow, context: ScheduleWorkContext) => Promise<void>,
  options: {
    readonly clock?: Clock;
    /** @default - Powertools Metrics in namespace `lanes` for POWERTOOLS_SERVICE_NAME */
    readonly metrics?: Metrics;
  } = {},
): (event: Partial<ScheduledEvent>, context?: Context) => Promise<TriggerOutcome> {
  let schedule: SingletonSchedule | undefined;
  const tableName = requireEnv(ScheduleEnv.tableName);
  const metrics =
    options.metrics ??
    new Metrics({
      namespace: optionalEnv('POWERTOOLS_METRICS_NAMESPACE') ?? LANES_METRICS_NAMESPACE,
      serviceName: optionalEnv('POWERTOOLS_SERVICE_NAME') ?? optionalEnv(ScheduleEnv.scheduleName),
    });
  return async (event, context) => {
    schedule ??= scheduleFromEnv(tableName, options.clock);
    // A direct invoke without `time` is "now": trigger() finds the window containing it.
    const scheduledAtMs = event.time
      ? Date.parse(event.time)
      : (options.clock?.nowMs() ?? Date.now());
    if (Number.isNaN(scheduledAtMs)) {
      throw new CoordinationConfigError('event.time', event.time, 'must be an ISO-8601 timestamp');
    }
    const outcome = await schedule.trigger(scheduledAtMs, (window) =>
      work(window, { tableName, lambdaContext: context, source: event.source ?? 'direct' }),
    );
    if (!outcome.refused) {
      metrics.addMetric(SCHEDULE_METRICS.HEARTBEAT, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    }
    return outcome;
  };
}

function scheduleFromEnv(tableName: string, clock: Clock | undefined): SingletonSchedule {
  const optionalInt = (name: string) => integerEnv(name);
  const leaseDurationMs = optionalInt(ScheduleEnv.leaseDurationMs);
  const intervalMs = optionalInt(ScheduleEnv.intervalMs);
  const cron = process.env[ScheduleEnv.cron];
  const catchUpWindows = optionalInt(ScheduleEnv.catchUpWindows);
  const partitions = optionalInt(ScheduleEnv.partitions);
  const overlap = optionalEnv(ScheduleEnv.overlap) as OverlapPolicy | undefined;
  return new SingletonSchedule({
    store: new DynamoDBLeaseStore({
      tableName,
      ...(clock ? { clock } : {}),
      ...(leaseDurationMs ? { defaultDurationMs: leaseDurationMs } : {}),
    }),
    name: requireEnv(ScheduleEnv.scheduleName),
    ...(intervalMs ? { intervalMs } : {}),
    ...(cron ? { cron } : {}),
    ...(catchUpWindows !== undefined ? { catchUpWindows } : {}),
    ...(partitions !== undefined ? { partitions } : {}),
    ...(overlap ? { overlap } : {}),
  });
}
