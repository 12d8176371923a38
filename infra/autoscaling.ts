import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { LanesError } from '../shared/errors.ts';
import { AUTOSCALER_ENV, type AutoscalerConfigInput } from '../shared/scaling/autoscaler.ts';
import type { ScheduleFloor } from '../shared/scaling/floors.ts';
import { MAXIMUM_CONCURRENCY_RANGE, policyProblems } from '../shared/scaling/policy.ts';
import type { AlarmDestinationProps } from './alarms.ts';
import { SingletonScheduledFunction } from './coordination-schedule.ts';
import {
  type LanesFunctionProps,
  type LanesObservabilityProps,
  newLanesFunction,
} from './function-props.ts';
import { acknowledgeNag, NAG_ACKNOWLEDGEMENTS } from './nag.ts';
import { enforceRules } from './validation.ts';
import type { Worker } from './worker.ts';

/**
 * `alarmAction` reaches the scaler's own alarms (its schedule's missed runs and target delivery);
 * `tracing` and `logRetention` apply to its function.
 */
export interface WorkerAutoscalingProps extends AlarmDestinationProps, LanesObservabilityProps {
  /** The worker whose mapping maximum concurrency (and reserved concurrency) is scaled. */
  readonly worker: Worker;
  /** The coordination table: the scaler's lease (so two never act at once) and its state. */
  readonly table: dynamodb.ITable;
  /** Lowest maximum concurrency (2..1000). */
  readonly minConcurrency: number;
  /** Highest maximum concurrency (2..1000). */
  readonly maxConcurrency: number;
  /**
   * Messages waiting or in flight per unit of maximum concurrency: wanted = ceil(backlog /
   * target). A 2,000-message backlog with target 100 asks for 20.
   * @default - not a target; give this and/or targetOldestMessageAge
   */
  readonly targetBacklogPerConcurrency?: number;
  /**
   * Age of the oldest message to keep below: wanted = ceil(current x age / target), from the
   * queue's ApproximateAgeOfOldestMessage (CloudWatch, one datapoint per minute on AWS).
   * @default - not a target
   */
  readonly targetOldestMessageAge?: Duration;
  /**
   * No scale-in until this long after the last change and after the last period that still
   * needed the current concurrency. Scale-out is never delayed.
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * How often to decide. At least 1 second; below a minute, each trigger of the schedule (every
   * minute, EventBridge's shortest rate) evaluates every period until the next, so the function
   * runs about all the time (tests use seconds). Whole minutes otherwise.
   * @default Duration.minutes(1)
   */
  readonly evaluationPeriod?: Duration;
  /**
   * Time-based floors, e.g. at least 20 from 08:00 to 18:00 in Europe/Berlin on weekdays. Each
   * floor's minConcurrency must be within minConcurrency..maxConcurrency.
   * @default - none
   */
  readonly scheduleFloors?: readonly ScheduleFloor[];
  /** CloudWatch namespace of the decisions' metrics (dimension `worker`). @default 'lanes' */
  readonly metricNamespace?: string;
  /**
   * More props of the scaler's function (runtime, architecture, VPC, logging, bundling).
   * @default - Node.js 24, 256 MB
   */
  readonly functionProps?: LanesFunctionProps;
  /** Whether the schedule's rule is enabled. @default true */
  readonly enabled?: boolean;
}

/** Where lanes' own autoscaler entry is: beside this module's `../functions/`, as .ts (sources) or .js (dist). */
export function autoscalerEntry(): string {
  for (const extension of ['.ts', '.js']) {
    const path = fileURLToPath(new URL(`../functions/autoscaler${extension}`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new LanesError(
    `lanes' autoscaler entry (functions/autoscaler.ts or .js beside ${fileURLToPath(import.meta.url)}) is missing: reinstall lanes.`,
  );
}

/**
 * Autoscaling of a worker's mapping by queue depth and/or oldest-message age, with minimum and
 * maximum, a scale-in cooldown and schedule floors. It runs as a lanes singleton scheduled
 * function (a lease in the coordination table per evaluation period, so two scalers never act at
 * once), changes the mapping's `ScalingConfig.MaximumConcurrency` and, when the function has
 * reserved concurrency, keeps it at least the sum of its mappings' maximum concurrency (never
 * below the deployed reservation), logs every decision with its inputs and emits metrics
 * (`AutoscalerMaxConcurrency`, `AutoscalerWantedConcurrency`, `AutoscalerBacklog`).
 *
 * A deploy resets the mapping to the Worker's `maxConcurrency` (which must lie within the
 * bounds); the next period scales again.
 *
 * @example
 * new WorkerAutoscaling(this, 'NotificationsScaling', {
 *   worker: notifications,
 *   table: coordination.table,
 *   minConcurrency: 2,
 *   maxConcurrency: 50,
 *   targetBacklogPerConcurrency: 100,
 *   scheduleFloors: [{ minConcurrency: 20, from: '08:00', to: '18:00', timeZone: 'Europe/Berlin', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'] }],
 * });
 */
export class WorkerAutoscaling extends Construct {
  public readonly function: lambda.Function;
  public readonly schedule: SingletonScheduledFunction;
  /** The schedule (and lease) name: `autoscaler-<worker>`. */
  public readonly scheduleName: string;

  constructor(scope: Construct, id: string, props: WorkerAutoscalingProps) {
    super(scope, id);
    const worker = props.worker;
    const period = props.evaluationPeriod ?? Duration.minutes(1);
    const cooldown = props.scaleInCooldown ?? Duration.minutes(5);
    const periodMs = period.toMilliseconds();
    const floors = props.scheduleFloors ?? [];
    const deployed = worker.maxConcurrency;
    const known = (value: number | undefined): value is number =>
      value !== undefined && !Token.isUnresolved(value);
    const outside = (value: number) =>
      !Number.isInteger(value) ||
      value < MAXIMUM_CONCURRENCY_RANGE.min ||
      value > MAXIMUM_CONCURRENCY_RANGE.max;
    enforceRules(this, [
      {
        broken: outside(props.minConcurrency) || outside(props.maxConcurrency),
        message: () =>
          `minConcurrency and maxConcurrency must be integers between ${MAXIMUM_CONCURRENCY_RANGE.min} and ${MAXIMUM_CONCURRENCY_RANGE.max} (given ${props.minConcurrency} and ${props.maxConcurrency}): they bound the mapping's ScalingConfig.MaximumConcurrency.`,
      },
      ...policyProblems({
        minConcurrency: props.minConcurrency,
        maxConcurrency: props.maxConcurrency,
        targetBacklogPerConcurrency: props.targetBacklogPerConcurrency,
        targetOldestMessageAgeSeconds: props.targetOldestMessageAge?.toSeconds(),
        scheduleFloors: floors,
      }).map((problem) => ({ broken: true, message: () => `${problem}.` })),
      {
        broken:
          props.targetBacklogPerConcurrency !== undefined &&
          !(props.targetBacklogPerConcurrency > 0),
        message: () =>
          `targetBacklogPerConcurrency must be a positive number of messages (given ${props.targetBacklogPerConcurrency}).`,
      },
      {
        broken: worker.provisionedPollers !== undefined,
        message: () =>
          `the worker ${worker.name} uses provisioned pollers (given provisionedPollers ${JSON.stringify(worker.provisionedPollers)}): its mapping has no maximum concurrency to scale, and AWS refuses both on one mapping. Give the worker maxConcurrency instead, or scale pollers with lanes scale.`,
      },
      {
        broken:
          known(deployed) && (deployed < props.minConcurrency || deployed > props.maxConcurrency),
        message: () =>
          `the worker's maxConcurrency ${deployed} must lie within minConcurrency..maxConcurrency = ${props.minConcurrency}..${props.maxConcurrency}: every deploy resets the mapping to it. Set the worker's maxConcurrency within the bounds.`,
      },
      {
        broken:
          !period.isUnresolved() &&
          (periodMs < 1_000 || (periodMs >= 60_000 && periodMs % 60_000 !== 0)),
        message: () =>
          `evaluationPeriod must be at least 1 second, and whole minutes from 1 minute up (given ${period.toHumanString()}): EventBridge rules run at whole minutes.`,
      },
      {
        broken: !cooldown.isUnresolved() && cooldown.toMilliseconds() < 0,
        message: () => `scaleInCooldown must not be negative (given ${cooldown.toHumanString()}).`,
      },
      {
        broken:
          props.metricNamespace !== undefined &&
          (!/^[A-Za-z0-9._\-/#:]{1,255}$/.test(props.metricNamespace) ||
            props.metricNamespace.startsWith('AWS/')),
        message: () =>
          `metricNamespace must be 1-255 of letters, digits and . _ - / # : and not start with AWS/ (given ${JSON.stringify(props.metricNamespace)}).`,
      },
    ]);

    this.scheduleName = `autoscaler-${worker.name}`;
    const subMinute = periodMs < 60_000;
    const triggerEvery = subMinute ? Duration.minutes(1) : period;
    const config: AutoscalerConfigInput = {
      worker: worker.name,
      functionName: worker.function.functionName,
      mappingUuid: worker.eventSource.eventSourceMappingId,
      ...(worker.alias ? { aliasName: worker.alias.aliasName } : {}),
      queueUrl: worker.queue.queueUrl,
      metricNamespace: props.metricNamespace ?? 'lanes',
      policy: {
        minConcurrency: props.minConcurrency,
        maxConcurrency: props.maxConcurrency,
        ...(props.targetBacklogPerConcurrency !== undefined
          ? { targetBacklogPerConcurrency: props.targetBacklogPerConcurrency }
          : {}),
        ...(props.targetOldestMessageAge
          ? { targetOldestMessageAgeSeconds: props.targetOldestMessageAge.toSeconds() }
          : {}),
        scaleInCooldownMs: cooldown.toMilliseconds(),
        evaluationPeriodMs: periodMs,
        scheduleFloors: floors.map(({ days, ...floor }) => ({
          ...floor,
          ...(days ? { days: [...days] } : {}),
        })),
        ...(known(worker.reservedConcurrency)
          ? { baseReservedConcurrency: worker.reservedConcurrency }
          : {}),
      },
    };
    this.function = newLanesFunction(
      this,
      'Function',
      {
        entry: autoscalerEntry(),
        handler: 'handler',
        // A sub-minute period keeps one invocation evaluating until the next trigger.
        timeout: subMinute ? Duration.seconds(90) : Duration.seconds(30),
        memorySize: undefined,
        environment: {
          [AUTOSCALER_ENV.config]: Stack.of(this).toJsonString(config),
          POWERTOOLS_SERVICE_NAME: `lanes-autoscaler-${worker.name}`,
        },
        tracing: props.tracing,
        logRetention: props.logRetention,
      },
      props.functionProps,
    );
    this.schedule = new SingletonScheduledFunction(this, 'Schedule', {
      schedule: events.Schedule.rate(triggerEvery),
      table: props.table,
      function: this.function,
      scheduleName: this.scheduleName,
      catchUpWindows: 0,
      // One decision takes a few calls; a crashed scaler's lease must not block the next period.
      leaseDuration: Duration.millis(Math.min(60_000, Math.max(2_000, periodMs))),
      enabled: props.enabled ?? true,
      alarmAction: props.alarmAction,
    });
    this.#grant(worker);
  }

  #grant(worker: Worker): void {
    const fn = this.function;
    worker.queue.grant(fn, 'sqs:GetQueueAttributes');
    const stack = Stack.of(this);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        resources: [
          stack.formatArn({
            service: 'lambda',
            resource: 'event-source-mapping',
            resourceName: worker.eventSource.eventSourceMappingId,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency'],
        resources: [worker.function.functionArn],
      }),
    );
    // Neither call has resource-level permissions (Lambda and CloudWatch service authorization
    // references): a policy of their own holds them, so the acknowledgement covers nothing else.
    const reads = new iam.Policy(this, 'Reads', {
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:ListEventSourceMappings', 'cloudwatch:GetMetricData'],
          resources: ['*'],
        }),
      ],
    });
    if (!fn.role) throw new LanesError(`${this.node.path}: the autoscaler function has no role.`);
    reads.attachToRole(fn.role);
    fn.node.addDependency(reads);
    acknowledgeNag(reads, NAG_ACKNOWLEDGEMENTS.AUTOSCALER_READS);
  }
}
