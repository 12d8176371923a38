import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { type Clock, systemClock } from '../shared/coordination/clock.ts';
import { DynamoDBLeaseStore } from '../shared/coordination/dynamodb-lease-store.ts';
import { CoordinationConfigError } from '../shared/coordination/errors.ts';
import { SingletonSchedule } from '../shared/coordination/schedule.ts';
import { ScheduleEnv } from '../shared/coordination/schedule-env.ts';
import { integerEnv, requireEnv } from '../shared/env.ts';
import {
  AUTOSCALER_ENV,
  Autoscaler,
  type PeriodDecision,
  parseAutoscalerConfig,
} from '../shared/scaling/autoscaler.ts';

/** What one invocation of the autoscaler did. */
export interface AutoscalerRunSummary {
  readonly worker: string;
  /** Periods this invocation decided (each decision is logged with its inputs). */
  readonly decided: readonly PeriodDecision[];
  /** Periods another scaler decided, or was deciding (its lease was held). */
  readonly heldElsewhere: number;
  /** Periods already decided when this invocation came to them. */
  readonly alreadyDecided: number;
}

export interface AutoscalerHandlerOptions {
  readonly clock?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clients?: {
    readonly lambda?: LambdaClient;
    readonly sqs?: SQSClient;
    readonly cloudwatch?: CloudWatchClient;
    readonly dynamodb?: DynamoDBClient;
  };
}

/** Time kept before the function's timeout: an evaluation never starts closer to it than this. */
const STOP_MARGIN_MS = 5_000;
/** An evaluation starts this long into its period, so every scaler agrees which period it is. */
const PERIOD_OFFSET_MS = 50;

/**
 * The handler of the `WorkerAutoscaling` construct's function. Each trigger (the EventBridge rule,
 * every `SCHEDULE_INTERVAL_MS`; or a direct invoke) evaluates every evaluation period from its
 * time until the next trigger, each period under the schedule's lease (`SingletonSchedule` with
 * the evaluation period as its window): two scalers running at once make one decision per period,
 * the other finds the lease held or the period decided. The configuration is
 * `LANES_AUTOSCALER_CONFIG` (a JSON {@link AutoscalerConfig}), checked at the first trigger.
 *
 * @example
 * // functions/autoscaler.ts (the construct bundles lanes' own)
 * export const handler = createAutoscalerHandler();
 */
export function createAutoscalerHandler(options: AutoscalerHandlerOptions = {}) {
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let ready:
    | {
        autoscaler: Autoscaler;
        schedule: SingletonSchedule;
        worker: string;
        triggerIntervalMs: number;
        logger: Pick<Logger, 'info' | 'error'>;
      }
    | undefined;

  const setUp = () => {
    const config = parseAutoscalerConfig(requireEnv(AUTOSCALER_ENV.config));
    const tableName = requireEnv(ScheduleEnv.tableName);
    const scheduleName = requireEnv(ScheduleEnv.scheduleName);
    const periodMs = config.policy.evaluationPeriodMs;
    const triggerIntervalMs = integerEnv(ScheduleEnv.intervalMs, { min: 1 }) ?? periodMs;
    const leaseDurationMs = integerEnv(ScheduleEnv.leaseDurationMs, { min: 1 });
    const dynamodb = options.clients?.dynamodb ?? new DynamoDBClient({});
    const logger =
      options.logger ?? new Logger({ serviceName: `lanes-autoscaler-${config.worker}` });
    const metrics =
      options.metrics ??
      new Metrics({ namespace: config.metricNamespace, serviceName: 'lanes-autoscaler' });
    const store = new DynamoDBLeaseStore({
      tableName,
      client: dynamodb,
      clock,
      ...(leaseDurationMs ? { defaultDurationMs: leaseDurationMs } : {}),
    });
    return {
      worker: config.worker,
      triggerIntervalMs,
      logger,
      schedule: new SingletonSchedule({
        store,
        name: scheduleName,
        intervalMs: periodMs,
        catchUpWindows: 0, // a missed period is not worth deciding later: the next one looks again
        overlap: 'skip',
        logger,
      }),
      autoscaler: new Autoscaler({
        config,
        tableName,
        scheduleName,
        lambda: options.clients?.lambda ?? new LambdaClient({}),
        sqs: options.clients?.sqs ?? new SQSClient({ useQueueUrlAsEndpoint: false }),
        cloudwatch: options.clients?.cloudwatch ?? new CloudWatchClient({}),
        dynamodb,
        logger,
        metrics,
        nowMs: () => clock.nowMs(),
      }),
    };
  };

  return async (
    event: Partial<ScheduledEvent>,
    context?: Context,
  ): Promise<AutoscalerRunSummary> => {
    ready ??= setUp();
    const { autoscaler, schedule, worker, triggerIntervalMs, logger } = ready;
    const startedMs = clock.nowMs();
    const triggerMs = event.time ? Date.parse(event.time) : startedMs;
    if (Number.isNaN(triggerMs)) {
      throw new CoordinationConfigError('event.time', event.time, 'must be an ISO-8601 timestamp');
    }
    const runUntilMs = Math.max(triggerMs, startedMs - 1) + triggerIntervalMs;
    const periodMs = schedule.intervalMs ?? triggerIntervalMs;
    const decided: PeriodDecision[] = [];
    let heldElsewhere = 0;
    let alreadyDecided = 0;
    for (let first = true; ; first = false) {
      const nowMs = clock.nowMs();
      const remainingMs = context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
      if (!first && (nowMs >= runUntilMs || remainingMs < periodMs + STOP_MARGIN_MS)) break;
      let decision: PeriodDecision | undefined;
      const outcome = await schedule.trigger(nowMs, async (window) => {
        decision = await autoscaler.evaluate(window);
      });
      if (decision) decided.push(decision);
      else if (outcome.partitions.some((p) => p.status === 'overlap')) heldElsewhere++;
      else alreadyDecided++;
      const nextPeriodMs = schedule.windowOf(nowMs) + periodMs;
      if (nextPeriodMs >= runUntilMs) break;
      // Wait for the next period only if the invocation still has time to evaluate it then;
      // otherwise the next trigger does (a 1-minute period in a 30 s function, for example).
      const waitMs = Math.max(0, nextPeriodMs + PERIOD_OFFSET_MS - clock.nowMs());
      const leftMs = context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
      if (leftMs - waitMs < STOP_MARGIN_MS) break;
      await sleep(waitMs);
    }
    const summary = { worker, decided, heldElsewhere, alreadyDecided };
    logger.info('autoscaler run', {
      worker,
      periodsDecided: decided.length,
      heldElsewhere,
      alreadyDecided,
      changes: decided.filter((d) => d.action !== 'hold').map((d) => `${d.from}->${d.to}`),
    });
    return summary;
  };
}
