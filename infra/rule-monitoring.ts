import { Duration, Fn, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { createAlarm, DEFAULT_ALARM_PERIOD } from './alarms.ts';
import { acknowledgeNag, NAG_ACKNOWLEDGEMENTS } from './nag.ts';
import type { ValidationRule } from './validation.ts';

/** EventBridge's limits on a target's retry policy (AWS documentation; see docs/aws-limits.md). */
export const TARGET_RETRY_LIMITS = {
  MAX_RETRY_ATTEMPTS: 185,
  MIN_EVENT_AGE_SECONDS: 60,
  MAX_EVENT_AGE_SECONDS: 86_400,
} as const;

/** CloudWatch metric math takes at most 10 metrics in one alarm's expression. */
const METRICS_PER_ALARM = 10;

/** How an EventBridge target retries, and where what it cannot deliver goes. */
export interface TargetDeliveryProps {
  /**
   * Retries of a delivery that fails with a retryable error (throttling, a 5xx); an error that
   * retrying cannot fix (the target is gone, permission denied) goes to the DLQ at once.
   * @default 185 (EventBridge's maximum)
   */
  readonly retryAttempts?: number;
  /** How long EventBridge keeps retrying one event. @default Duration.hours(24) (the maximum) */
  readonly maxEventAge?: Duration;
  /**
   * Standard queue that receives the events EventBridge could not deliver, with the error in
   * their message attributes (`lanes dlq list` shows them).
   * @default - a new standard queue, SSE-SQS, HTTPS only, kept 14 days
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** The rules a target's retry policy must follow. */
export function targetDeliveryRules(props: TargetDeliveryProps): ValidationRule[] {
  const attempts = props.retryAttempts;
  const ageSeconds = props.maxEventAge?.isUnresolved() ? undefined : props.maxEventAge?.toSeconds();
  return [
    {
      broken:
        attempts !== undefined &&
        !Token.isUnresolved(attempts) &&
        (!Number.isInteger(attempts) ||
          attempts < 0 ||
          attempts > TARGET_RETRY_LIMITS.MAX_RETRY_ATTEMPTS),
      message: () =>
        `retryAttempts must be an integer between 0 and ${TARGET_RETRY_LIMITS.MAX_RETRY_ATTEMPTS} (given ${attempts}): it is the EventBridge target's RetryPolicy.MaximumRetryAttempts.`,
    },
    {
      broken:
        ageSeconds !== undefined &&
        (ageSeconds < TARGET_RETRY_LIMITS.MIN_EVENT_AGE_SECONDS ||
          ageSeconds > TARGET_RETRY_LIMITS.MAX_EVENT_AGE_SECONDS),
      message: () =>
        `maxEventAge must be between ${TARGET_RETRY_LIMITS.MIN_EVENT_AGE_SECONDS} seconds and 24 hours (given ${ageSeconds} seconds): it is the EventBridge target's RetryPolicy.MaximumEventAgeInSeconds.`,
    },
    {
      broken: props.deadLetterQueue?.fifo === true,
      message: () =>
        `deadLetterQueue must be a standard queue (given the FIFO queue ${props.deadLetterQueue?.node.path}): EventBridge dead-letter queues are standard SQS queues.`,
    },
  ];
}

/** The DLQ of EventBridge targets: a standard queue, encrypted, HTTPS only, kept 14 days. */
export function newTargetDeadLetterQueue(
  scope: Construct,
  id: string,
  removalPolicy: RemovalPolicy | undefined,
): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    removalPolicy: removalPolicy ?? RemovalPolicy.DESTROY,
  });
  acknowledgeNag(queue, NAG_ACKNOWLEDGEMENTS.TARGET_DLQ_HAS_NO_DLQ);
  return queue;
}

/** Thresholds of the alarms on a set of EventBridge rules and their target DLQ. */
export interface RuleAlarmThresholds {
  /** @default Duration.minutes(1) */
  readonly period?: Duration;
  /** Invocations that failed for good in one period (`FailedInvocations`). @default 1 */
  readonly failedInvocations?: number;
  /** Events sent to the target DLQ in one period (`InvocationsSentToDlq`). @default 1 */
  readonly deadLetteredInvocations?: number;
  /**
   * Events that could not even be put in the DLQ in one period
   * (`InvocationsFailedToBeSentToDlq`): these are lost.
   * @default 1
   */
  readonly lostInvocations?: number;
  /** Messages in the target DLQ. @default 1 */
  readonly deadLetterMessages?: number;
}

/** The EventBridge metrics of a set of rules, summed (one expression per 10 rules). */
export interface RuleMetrics {
  readonly failedInvocations: readonly cloudwatch.IMetric[];
  readonly deadLetteredInvocations: readonly cloudwatch.IMetric[];
  readonly lostInvocations: readonly cloudwatch.IMetric[];
  readonly deadLetterDepth: cloudwatch.Metric;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Whether the rules of this bus report metrics with an `EventBusName` dimension. */
function isCustomBus(eventBus: events.IEventBus | undefined): boolean {
  return eventBus !== undefined && eventBus.eventBusName !== 'default';
}

/**
 * The name a rule's metrics carry as `RuleName`, read from its ARN (`rule/<bus>/<name>` on a
 * custom bus, `rule/<name>` on the default one): a rule's `Ref` on a custom bus is
 * `<bus>|<name>`, which no metric carries.
 */
export function ruleMetricName(rule: events.IRule, eventBus: events.IEventBus | undefined): string {
  return Fn.select(isCustomBus(eventBus) ? 2 : 1, Fn.split('/', rule.ruleArn));
}

/**
 * `AWS/Events` metrics of the rules: with `EventBusName` and `RuleName` for a custom bus,
 * `RuleName` alone for the default bus (as EventBridge reports them).
 */
export function ruleMetrics(
  rules: readonly events.IRule[],
  eventBus: events.IEventBus | undefined,
  deadLetterQueue: sqs.IQueue,
  period: Duration = DEFAULT_ALARM_PERIOD,
): RuleMetrics {
  const busDimension: Record<string, string> =
    eventBus && isCustomBus(eventBus) ? { EventBusName: eventBus.eventBusName } : {};
  // Ids unique across the three sums, so one graph can show them all.
  const summed = (metricName: string, idPrefix: string, label: string) =>
    chunks(rules, METRICS_PER_ALARM).map((group, chunk) => {
      const usingMetrics = Object.fromEntries(
        group.map((rule, i) => [
          `${idPrefix}${chunk}_${i}`,
          new cloudwatch.Metric({
            namespace: 'AWS/Events',
            metricName,
            dimensionsMap: { ...busDimension, RuleName: ruleMetricName(rule, eventBus) },
            statistic: 'Sum',
            period,
          }),
        ]),
      );
      return new cloudwatch.MathExpression({
        expression: Object.keys(usingMetrics).join(' + '),
        usingMetrics,
        label: chunk === 0 ? label : `${label} (${chunk + 1})`,
        period,
      });
    });
  return {
    failedInvocations: summed('FailedInvocations', 'failed', 'failed invocations'),
    deadLetteredInvocations: summed('InvocationsSentToDlq', 'dlq', 'sent to the DLQ'),
    lostInvocations: summed('InvocationsFailedToBeSentToDlq', 'lost', 'failed to reach the DLQ'),
    deadLetterDepth: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period,
      statistic: 'Maximum',
    }),
  };
}

/** The alarms on a set of rules' deliveries. */
export interface RuleAlarms {
  readonly failedInvocations: readonly cloudwatch.Alarm[];
  readonly deadLetteredInvocations: readonly cloudwatch.Alarm[];
  readonly lostInvocations: readonly cloudwatch.Alarm[];
  readonly deadLetterDepth: cloudwatch.Alarm;
}

/** Creates the alarms on a set of rules' deliveries; `what` names them in the descriptions. */
export function createRuleAlarms(
  scope: Construct,
  metrics: RuleMetrics,
  what: string,
  thresholds: RuleAlarmThresholds = {},
): RuleAlarms {
  const each = (
    id: string,
    list: readonly cloudwatch.IMetric[],
    threshold: number,
    description: string,
  ) =>
    list.map((metric, i) =>
      createAlarm(scope, list.length === 1 ? id : `${id}${i + 1}`, {
        metric,
        threshold,
        description,
      }),
    );
  return {
    failedInvocations: each(
      'FailedInvocationsAlarm',
      metrics.failedInvocations,
      thresholds.failedInvocations ?? 1,
      `EventBridge could not deliver events of ${what} to their target: they are in the target DLQ (lanes dlq list).`,
    ),
    deadLetteredInvocations: each(
      'DeadLetteredInvocationsAlarm',
      metrics.deadLetteredInvocations,
      thresholds.deadLetteredInvocations ?? 1,
      `EventBridge put events of ${what} in the target DLQ: list them with lanes dlq list, fix the target, redrive.`,
    ),
    lostInvocations: each(
      'LostInvocationsAlarm',
      metrics.lostInvocations,
      thresholds.lostInvocations ?? 1,
      `EventBridge could not put undeliverable events of ${what} in the target DLQ: they are lost. Check the DLQ's policy and encryption.`,
    ),
    deadLetterDepth: createAlarm(scope, 'TargetDeadLetterDepthAlarm', {
      metric: metrics.deadLetterDepth,
      threshold: thresholds.deadLetterMessages ?? 1,
      description: `Undelivered events of ${what} wait in the target DLQ: lanes dlq list shows them with the error.`,
    }),
  };
}

/** Every alarm of a RuleAlarms. */
export function allRuleAlarms(alarms: RuleAlarms): cloudwatch.Alarm[] {
  return [
    ...alarms.failedInvocations,
    ...alarms.deadLetteredInvocations,
    ...alarms.lostInvocations,
    alarms.deadLetterDepth,
  ];
}
