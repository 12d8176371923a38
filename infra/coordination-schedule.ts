import { Duration, Names, type RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AwsCron } from '../shared/coordination/aws-cron.ts';
import type { OverlapPolicy } from '../shared/coordination/schedule.ts';
import { ScheduleEnv } from '../shared/coordination/schedule-env.ts';
import {
  LANES_METRICS_NAMESPACE,
  POWERTOOLS_ENV,
  SCHEDULE_METRICS,
  SERVICE_DIMENSION,
} from '../shared/observability/metrics.ts';
import { type AlarmDestinationProps, createAlarm, routeAlarms } from './alarms.ts';
import { describeForDiscovery } from './discovery.ts';
import {
  type LanesFunctionProps,
  type LanesObservabilityProps,
  newLanesFunction,
} from './function-props.ts';
import {
  newTargetDeadLetterQueue,
  type TargetDeliveryProps,
  targetDeliveryRules,
} from './rule-monitoring.ts';
import { enforceRules } from './validation.ts';

/** CloudWatch's limits on an alarm's evaluation range (AWS documentation; docs/aws-limits.md). */
export const ALARM_RANGE_LIMITS = {
  /** Period x evaluation periods, for periods under one hour. */
  MAX_SHORT_RANGE_SECONDS: 86_400,
  /** Period x evaluation periods, for periods of one hour or more. */
  MAX_RANGE_SECONDS: 604_800,
  MAX_PERIOD_SECONDS: 86_400,
} as const;

/** Thresholds of a schedule's alarms. */
export interface ScheduleAlarmThresholds {
  /**
   * Windows in a row without a heartbeat (a handled trigger) before the heartbeat alarm fires;
   * the alarm's period is the schedule's interval (for cron, the longest gap between two of its
   * times), rounded up to a minute.
   * @default 2
   */
  readonly missedRuns?: number;
  /** Invocation errors in one minute. @default 1 */
  readonly invocationErrors?: number;
  /** Longest invocation as a fraction of the timeout. @default 0.9 */
  readonly durationOfTimeout?: number;
  /** Undelivered triggers in the target DLQ. @default 1 */
  readonly deadLetterMessages?: number;
}

/** The alarms of a singleton schedule. */
export interface ScheduleAlarms {
  /** No heartbeat for `missedRuns` windows: runs are missed (absent when the rule is disabled). */
  readonly missedRuns?: cloudwatch.Alarm;
  readonly errors: cloudwatch.Alarm;
  readonly durationNearTimeout?: cloudwatch.Alarm;
  readonly deadLetterDepth: cloudwatch.Alarm;
}

export interface SingletonScheduledFunctionProps
  extends AlarmDestinationProps,
    LanesObservabilityProps,
    TargetDeliveryProps {
  /** When to trigger: `Schedule.rate(...)` or `Schedule.cron(...)`. */
  readonly schedule: events.Schedule;
  /** The coordination table (`CoordinationTable.table`, or an existing one with the same key schema). */
  readonly table: dynamodb.ITable;
  /**
   * Handler file for a new function; its handler should be `createScheduleHandler(work)`.
   * @default - none; give exactly one of `entry` and `function`
   */
  readonly entry?: string;
  /**
   * An existing function to run instead (the construct adds the schedule's environment).
   * @default - none; give exactly one of `entry` and `function`
   */
  readonly function?: lambda.Function;
  /** Name of the schedule's leases and state. @default - the construct's unique id */
  readonly scheduleName?: string;
  /** What a trigger does while a run is still going: `skip` it, or `bufferOne` run after. @default 'skip' */
  readonly overlap?: OverlapPolicy;
  /**
   * Missed windows caught up after downtime (rate and cron schedules; a cron window runs from
   * one of its times to the next). @default 3
   */
  readonly catchUpWindows?: number;
  /** Sub-windows per window, each with its own lease, run in parallel. @default 1 */
  readonly partitions?: number;
  /** Lease duration; renewed every third of it while running. @default - the function timeout */
  readonly leaseDuration?: Duration;
  /** Handler export of a new function. @default 'handler' */
  readonly handler?: string;
  /** Memory of a new function, in MB. @default 256 */
  readonly memorySize?: number;
  /**
   * More props of a new function (runtime, architecture, VPC, layers, logging, tracing, bundling).
   * @default - Node.js 24; esbuild bundling that includes the AWS SDK
   */
  readonly functionProps?: LanesFunctionProps;
  /** Timeout of a new function. @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** Extra environment for a new function. @default - none */
  readonly environment?: Record<string, string>;
  /** @default true */
  readonly enabled?: boolean;
  /** Thresholds of the schedule's alarms. @default - see ScheduleAlarmThresholds */
  readonly alarmThresholds?: ScheduleAlarmThresholds;
  /** What happens to the log group and the target DLQ it creates. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

const RATE = /^rate\((\d+) (minutes?|hours?|days?)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * A function that runs on a schedule, singleton under a lease in the coordination table:
 * duplicate triggers for one window run once, overlapping runs follow `overlap`, windows missed
 * during downtime are caught up (up to `catchUpWindows`), and a window can be split into
 * `partitions` processed in parallel under their own leases, for rate and cron schedules alike
 * (cron windows run from one scheduled time to the next; the expression is checked at synth).
 * Trigger times implausibly far from the clock are refused and logged. The logic is
 * `#shared/coordination/schedule.ts`; this construct wires the rule, the function, its
 * environment and its table access.
 *
 * @example
 * new SingletonScheduledFunction(this, 'Cleanup', {
 *   schedule: events.Schedule.rate(Duration.minutes(5)),
 *   table: coordination.table,
 *   entry: 'functions/scheduler-cleanup.ts',
 *   catchUpWindows: 6,
 * });
 */
export class SingletonScheduledFunction extends Construct {
  public readonly rule: events.Rule;
  public readonly function: lambda.Function;
  public readonly scheduleName: string;
  /** Window length for rate schedules; undefined for cron. */
  public readonly interval: Duration | undefined;
  /** Where EventBridge puts triggers it could not deliver to the function. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** One data point per handled trigger (namespace `lanes`, `service` = the schedule name). */
  public readonly heartbeatMetric: cloudwatch.Metric;
  public readonly alarms: ScheduleAlarms;

  public constructor(scope: Construct, id: string, props: SingletonScheduledFunctionProps) {
    super(scope, id);
    const intervalMs = rateIntervalMs(props.schedule);
    this.interval = intervalMs === undefined ? undefined : Duration.millis(intervalMs);
    const catchUpWindows = props.catchUpWindows ?? 3;
    const partitions = props.partitions ?? 1;
    validate(this, props, intervalMs, catchUpWindows, partitions);
    const alarmPeriodSeconds = heartbeatPeriodSeconds(props.schedule, intervalMs);
    const missedRuns = props.alarmThresholds?.missedRuns ?? 2;
    const rangeSeconds = alarmPeriodSeconds * missedRuns;
    const maxRange =
      alarmPeriodSeconds < 3600
        ? ALARM_RANGE_LIMITS.MAX_SHORT_RANGE_SECONDS
        : ALARM_RANGE_LIMITS.MAX_RANGE_SECONDS;
    enforceRules(this, [
      ...targetDeliveryRules(props),
      {
        broken: !Number.isInteger(missedRuns) || missedRuns < 1,
        message: () =>
          `alarmThresholds.missedRuns must be a positive integer (given ${missedRuns}).`,
      },
      {
        broken:
          alarmPeriodSeconds > ALARM_RANGE_LIMITS.MAX_PERIOD_SECONDS ||
          (Number.isInteger(missedRuns) && rangeSeconds > maxRange),
        message: () =>
          `the heartbeat alarm would watch ${missedRuns} x ${alarmPeriodSeconds} s = ${rangeSeconds} s, beyond CloudWatch's limits (a period of at most ${ALARM_RANGE_LIMITS.MAX_PERIOD_SECONDS} s; ${maxRange} s in all for this period): lower alarmThresholds.missedRuns or trigger more often.`,
      },
    ]);

    this.scheduleName = props.scheduleName ?? Names.uniqueId(this);
    this.function =
      props.function ??
      newLanesFunction(
        this,
        'Function',
        {
          entry: props.entry,
          handler: props.handler,
          timeout: props.timeout ?? Duration.minutes(1),
          memorySize: props.memorySize,
          environment: { ...props.environment },
          tracing: props.tracing,
          logRetention: props.logRetention,
          removalPolicy: props.removalPolicy,
        },
        props.functionProps,
      );
    const leaseDuration = props.leaseDuration ?? this.function.timeout ?? Duration.minutes(1);
    const environment: Record<string, string> = {
      [ScheduleEnv.tableName]: props.table.tableName,
      [ScheduleEnv.scheduleName]: this.scheduleName,
      [ScheduleEnv.catchUpWindows]: String(catchUpWindows),
      [ScheduleEnv.partitions]: String(partitions),
      [ScheduleEnv.overlap]: props.overlap ?? 'skip',
      [ScheduleEnv.leaseDurationMs]: String(leaseDuration.toMilliseconds()),
    };
    const serviceName = props.environment?.[POWERTOOLS_ENV.SERVICE_NAME] ?? this.scheduleName;
    environment[POWERTOOLS_ENV.SERVICE_NAME] = serviceName;
    if (intervalMs !== undefined) environment[ScheduleEnv.intervalMs] = String(intervalMs);
    else environment[ScheduleEnv.cron] = props.schedule.expressionString;
    for (const [key, value] of Object.entries(environment))
      this.function.addEnvironment(key, value);
    props.table.grantReadWriteData(this.function);

    this.rule = new events.Rule(this, 'Rule', {
      schedule: props.schedule,
      enabled: props.enabled ?? true,
      description: `Singleton schedule ${this.scheduleName} (runs under a lease in the coordination table)`,
    });
    this.deadLetterQueue =
      props.deadLetterQueue ??
      newTargetDeadLetterQueue(this, 'TargetDeadLetterQueue', props.removalPolicy);
    // A trigger EventBridge cannot hand to Lambda is kept with the error instead of dropped; the
    // handler's catch-up runs the window later anyway, the DLQ says why it was late.
    this.rule.addTarget(
      new targets.LambdaFunction(this.function, {
        retryAttempts: props.retryAttempts ?? 2,
        maxEventAge: props.maxEventAge ?? Duration.hours(1),
        deadLetterQueue: this.deadLetterQueue,
      }),
    );

    const period = Duration.seconds(alarmPeriodSeconds);
    this.heartbeatMetric = new cloudwatch.Metric({
      namespace: props.environment?.[POWERTOOLS_ENV.METRICS_NAMESPACE] ?? LANES_METRICS_NAMESPACE,
      metricName: SCHEDULE_METRICS.HEARTBEAT,
      dimensionsMap: { [SERVICE_DIMENSION]: serviceName },
      statistic: 'Sum',
      period,
    });
    this.alarms = this.#createAlarms(props, missedRuns);
    routeAlarms(this, Object.values(this.alarms), props.alarmAction);
    describeForDiscovery(this, {
      kind: 'schedule',
      name: this.scheduleName,
      functionName: this.function.functionName,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
    });
  }

  #createAlarms(props: SingletonScheduledFunctionProps, missedRuns: number): ScheduleAlarms {
    const t = props.alarmThresholds ?? {};
    const minute = Duration.minutes(1);
    const timeout = this.function.timeout;
    const ratio = t.durationOfTimeout ?? 0.9;
    const enabled = props.enabled ?? true;
    return {
      ...(enabled
        ? {
            missedRuns: createAlarm(this, 'MissedRunsAlarm', {
              metric: this.heartbeatMetric,
              threshold: 1,
              comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
              evaluationPeriods: missedRuns,
              // No data is what a missed run looks like.
              treatMissingData: cloudwatch.TreatMissingData.BREACHING,
              description: `Schedule ${this.scheduleName} (${this.node.path}) has not run for ${missedRuns} windows: the rule, the function or the lease is stuck. Look at the function's logs and its target DLQ.`,
            }),
          }
        : {}),
      errors: createAlarm(this, 'ErrorsAlarm', {
        metric: this.function.metricErrors({ period: minute, statistic: 'Sum' }),
        threshold: t.invocationErrors ?? 1,
        description: `Invocation errors in schedule ${this.scheduleName} (${this.node.path}).`,
      }),
      ...(timeout && !timeout.isUnresolved()
        ? {
            durationNearTimeout: createAlarm(this, 'DurationNearTimeoutAlarm', {
              metric: this.function.metricDuration({ period: minute, statistic: 'Maximum' }),
              threshold: Math.round(timeout.toMilliseconds() * ratio),
              description: `A run of schedule ${this.scheduleName} took ${Math.round(ratio * 100)} % of its ${timeout.toHumanString()} timeout: raise the timeout or add partitions.`,
            }),
          }
        : {}),
      deadLetterDepth: createAlarm(this, 'TargetDeadLetterDepthAlarm', {
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: minute,
          statistic: 'Maximum',
        }),
        threshold: t.deadLetterMessages ?? 1,
        description: `Triggers of schedule ${this.scheduleName} EventBridge could not deliver: lanes dlq list --schedule ${this.scheduleName}.`,
      }),
    };
  }
}

/**
 * The heartbeat alarm's period: the rate interval, or for cron the longest gap between two
 * consecutive times over the next 100, rounded up to a whole minute (CloudWatch's granularity).
 */
function heartbeatPeriodSeconds(schedule: events.Schedule, intervalMs: number | undefined): number {
  let gapMs = intervalMs;
  if (gapMs === undefined) {
    gapMs = 60_000;
    try {
      const cron = AwsCron.parse(schedule.expressionString);
      let at = cron.nextAfter(Date.UTC(2030, 0, 1));
      for (let i = 0; at !== undefined && i < 100; i++) {
        const next = cron.nextAfter(at);
        if (next === undefined) break;
        gapMs = Math.max(gapMs, next - at);
        at = next;
      }
    } catch {
      // validate() has reported the expression.
    }
  }
  return Math.max(60, Math.ceil(gapMs / 60_000) * 60);
}

/** Why a schedule expression that is not a rate cannot drive windows, or undefined when it can. */
function cronProblem(expression: string): string | undefined {
  if (Token.isUnresolved(expression)) return undefined;
  if (!expression.startsWith('cron(')) {
    return `schedule must be Schedule.rate(...) or Schedule.cron(...) (given ${expression})`;
  }
  try {
    AwsCron.parse(expression);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The window length of a `rate(...)` schedule, or undefined for cron. */
export function rateIntervalMs(schedule: events.Schedule): number | undefined {
  const match = RATE.exec(schedule.expressionString);
  if (!match) return undefined;
  const unit = (match[2] ?? '').replace(/s$/, '');
  return Number(match[1]) * (UNIT_MS[unit] ?? Number.NaN);
}

function validate(
  scope: Construct,
  props: SingletonScheduledFunctionProps,
  intervalMs: number | undefined,
  catchUpWindows: number,
  partitions: number,
): void {
  enforceRules(scope, [
    {
      broken: (props.entry === undefined) === (props.function === undefined),
      message: () =>
        `give exactly one of entry (a handler file for a new function) and function (an existing one) (given ${props.entry === undefined ? 'neither' : 'both'}).`,
    },
    {
      broken:
        !Token.isUnresolved(catchUpWindows) &&
        (!Number.isInteger(catchUpWindows) || catchUpWindows < 0 || catchUpWindows > 100),
      message: () =>
        `catchUpWindows must be an integer between 0 and 100 (given ${catchUpWindows}); 0 turns catch-up off.`,
    },
    {
      broken:
        !Token.isUnresolved(partitions) &&
        (!Number.isInteger(partitions) || partitions < 1 || partitions > 100),
      message: () =>
        `partitions must be an integer between 1 and 100 (given ${partitions}); 1 runs each window whole.`,
    },
    {
      broken:
        intervalMs === undefined && cronProblem(props.schedule.expressionString) !== undefined,
      message: () => `${cronProblem(props.schedule.expressionString)}`,
    },
    {
      broken: intervalMs !== undefined && intervalMs % partitions !== 0,
      message: () =>
        `partitions must divide the interval of ${intervalMs} ms evenly (given ${partitions}); pick a divisor.`,
    },
    {
      broken:
        props.leaseDuration !== undefined &&
        !Token.isUnresolved(props.leaseDuration.toMilliseconds()) &&
        props.leaseDuration.toMilliseconds() < 2_000,
      message: () =>
        `leaseDuration must be at least 2 seconds (given ${props.leaseDuration?.toHumanString()}); it is renewed every third of it.`,
    },
    {
      broken:
        props.overlap !== undefined && props.overlap !== 'skip' && props.overlap !== 'bufferOne',
      message: () => `overlap must be 'skip' or 'bufferOne' (given ${props.overlap}).`,
    },
  ]);
}
