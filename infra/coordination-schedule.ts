import { Duration, Names, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AwsCron } from '../shared/coordination/aws-cron.ts';
import type { OverlapPolicy } from '../shared/coordination/schedule.ts';
import { ScheduleEnv } from '../shared/coordination/schedule-env.ts';
import { type LanesFunctionProps, newLanesFunction } from './function-props.ts';
import { enforceRules } from './validation.ts';

export interface SingletonScheduledFunctionProps {
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

  public constructor(scope: Construct, id: string, props: SingletonScheduledFunctionProps) {
    super(scope, id);
    const intervalMs = rateIntervalMs(props.schedule);
    this.interval = intervalMs === undefined ? undefined : Duration.millis(intervalMs);
    const catchUpWindows = props.catchUpWindows ?? 3;
    const partitions = props.partitions ?? 1;
    validate(this, props, intervalMs, catchUpWindows, partitions);

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
    this.rule.addTarget(new targets.LambdaFunction(this.function, { retryAttempts: 2 }));
  }
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
