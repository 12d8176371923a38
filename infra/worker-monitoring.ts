import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SERVICE_DIMENSION, WORKER_METRICS } from '../shared/observability/metrics.ts';
import { createAlarm, DEFAULT_ALARM_PERIOD } from './alarms.ts';

/** Thresholds of a worker's alarms; each alarm fires at or above its threshold. */
export interface WorkerAlarmThresholds {
  /** Period every alarm evaluates. @default Duration.minutes(1) */
  readonly period?: Duration;
  /**
   * Records that failed in one period (`EventsFailed`: a throw, an invalid event; every failed
   * attempt counts, so a poison event counts once per receive). Record failures under partial
   * batch responses never show as Lambda errors: this alarm is what sees them.
   * @default 1
   */
  readonly failedEvents?: number;
  /** Records the runtime dead-lettered in one period (`EventsDeadLettered`). @default 1 */
  readonly deadLetteredEvents?: number;
  /** Messages in the dead-letter queue (any source: the runtime or SQS's redrive). @default 1 */
  readonly deadLetterMessages?: number;
  /** Invocation errors in one period (a whole batch failed: init error, crash, timeout). @default 1 */
  readonly invocationErrors?: number;
  /** Throttled invocations in one period. @default 1 */
  readonly throttles?: number;
  /**
   * Longest invocation in one period, as a fraction of the function timeout (0.9: an invocation
   * took 90 % of its timeout). Near the timeout the runtime starts abandoning records.
   * @default 0.9
   */
  readonly durationOfTimeout?: number;
}

/** The metrics of a worker, for its alarms and dashboards. */
export interface WorkerMetrics {
  readonly backlog: cloudwatch.Metric;
  readonly inFlight: cloudwatch.Metric;
  readonly oldestMessageAge: cloudwatch.Metric;
  readonly deadLetterDepth: cloudwatch.Metric;
  readonly concurrency: cloudwatch.Metric;
  readonly throttles: cloudwatch.Metric;
  readonly invocationErrors: cloudwatch.Metric;
  readonly duration: cloudwatch.Metric;
  readonly processed: cloudwatch.Metric;
  readonly failed: cloudwatch.Metric;
  readonly deadLettered: cloudwatch.Metric;
  readonly latencyP50: cloudwatch.Metric;
  readonly latencyP99: cloudwatch.Metric;
}

/** The alarms every worker gets. */
export interface WorkerAlarms {
  readonly ageOfOldestMessage: cloudwatch.Alarm;
  readonly deadLetterDepth: cloudwatch.Alarm;
  readonly errors: cloudwatch.Alarm;
  readonly throttles: cloudwatch.Alarm;
  /** `EventsFailed` of the worker's service. */
  readonly failedEvents: cloudwatch.Alarm;
  /** `EventsDeadLettered` of the worker's service. */
  readonly deadLetteredEvents: cloudwatch.Alarm;
  /** Longest invocation near the function timeout (absent when the timeout is a token). */
  readonly durationNearTimeout?: cloudwatch.Alarm;
}

/** What the metrics of a worker are made of. */
export interface WorkerMetricSources {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly function: lambda.IFunction;
  /** Namespace and `service` dimension of the runtime's metrics. */
  readonly metricsNamespace: string;
  readonly serviceName: string;
  readonly period?: Duration;
}

/**
 * The metrics of a worker: queue and DLQ depth from SQS, concurrency, throttles, errors and
 * duration from Lambda, processed/failed/dead-lettered events and end-to-end latency from the
 * runtime (namespace `lanes`, dimension `service`).
 */
export function workerMetrics(sources: WorkerMetricSources): WorkerMetrics {
  const period = sources.period ?? DEFAULT_ALARM_PERIOD;
  const lanesMetric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({
      namespace: sources.metricsNamespace,
      metricName,
      dimensionsMap: { [SERVICE_DIMENSION]: sources.serviceName },
      statistic,
      period,
    });
  const fn = sources.function;
  return {
    backlog: sources.queue.metricApproximateNumberOfMessagesVisible({
      period,
      statistic: 'Maximum',
    }),
    inFlight: sources.queue.metricApproximateNumberOfMessagesNotVisible({
      period,
      statistic: 'Maximum',
    }),
    oldestMessageAge: sources.queue.metricApproximateAgeOfOldestMessage({
      period,
      statistic: 'Maximum',
    }),
    deadLetterDepth: sources.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period,
      statistic: 'Maximum',
    }),
    concurrency: fn.metric('ConcurrentExecutions', { period, statistic: 'Maximum' }),
    throttles: fn.metricThrottles({ period, statistic: 'Sum' }),
    invocationErrors: fn.metricErrors({ period, statistic: 'Sum' }),
    duration: fn.metricDuration({ period, statistic: 'Maximum' }),
    processed: lanesMetric(WORKER_METRICS.PROCESSED, 'Sum'),
    failed: lanesMetric(WORKER_METRICS.FAILED, 'Sum'),
    deadLettered: lanesMetric(WORKER_METRICS.DEAD_LETTERED, 'Sum'),
    latencyP50: lanesMetric(WORKER_METRICS.END_TO_END_LATENCY, 'p50'),
    latencyP99: lanesMetric(WORKER_METRICS.END_TO_END_LATENCY, 'p99'),
  };
}

/**
 * Creates a worker's alarms (ids as the Worker has always named them) from its metrics and
 * thresholds.
 */
export function createWorkerAlarms(
  scope: Construct,
  metrics: WorkerMetrics,
  options: {
    readonly maxMessageAge: Duration;
    readonly timeout: Duration;
    readonly thresholds?: WorkerAlarmThresholds;
  },
): WorkerAlarms {
  const t = options.thresholds ?? {};
  const path = scope.node.path;
  const ratio = t.durationOfTimeout ?? 0.9;
  const timeout = options.timeout;
  return {
    ageOfOldestMessage: createAlarm(scope, 'AgeOfOldestMessageAlarm', {
      metric: metrics.oldestMessageAge,
      threshold: options.maxMessageAge.toSeconds(),
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: `Oldest message on ${path} waited more than ${options.maxMessageAge.toHumanString()}: the worker falls behind or is stuck.`,
    }),
    deadLetterDepth: createAlarm(scope, 'DeadLetterDepthAlarm', {
      metric: metrics.deadLetterDepth,
      threshold: t.deadLetterMessages ?? 1,
      description: `Messages in the dead-letter queue of ${path}: list them with their reason (lanes dlq list) and redrive after the fix.`,
    }),
    errors: createAlarm(scope, 'ErrorsAlarm', {
      metric: metrics.invocationErrors,
      threshold: t.invocationErrors ?? 1,
      description: `Invocation errors in ${path} (whole batches failed).`,
    }),
    throttles: createAlarm(scope, 'ThrottlesAlarm', {
      metric: metrics.throttles,
      threshold: t.throttles ?? 1,
      description: `Throttled invocations in ${path}: raise reservedConcurrency or lower maxConcurrency.`,
    }),
    failedEvents: createAlarm(scope, 'FailedEventsAlarm', {
      metric: metrics.failed,
      threshold: t.failedEvents ?? 1,
      description: `Events failed in ${path} (each failed attempt counts; they are retried, then dead-lettered with their reason). Look at the function logs by event id.`,
    }),
    deadLetteredEvents: createAlarm(scope, 'DeadLetteredEventsAlarm', {
      metric: metrics.deadLettered,
      threshold: t.deadLetteredEvents ?? 1,
      description: `Events dead-lettered by ${path}: lanes dlq list shows them with their reason.`,
    }),
    ...(timeout.isUnresolved()
      ? {}
      : {
          durationNearTimeout: createAlarm(scope, 'DurationNearTimeoutAlarm', {
            metric: metrics.duration,
            threshold: Math.round(timeout.toMilliseconds() * ratio),
            description: `An invocation of ${path} took ${Math.round(ratio * 100)} % of its ${timeout.toHumanString()} timeout: records will be abandoned at their deadline. Lower batchSize or raise the timeout.`,
          }),
        }),
  };
}
