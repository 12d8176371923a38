import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { fencePut } from '../coordination/fencing.ts';
import { CoordinationKeys } from '../coordination/keys.ts';
import type { ScheduleWindow } from '../coordination/schedule.ts';
import { ScalingConfigError } from './errors.ts';
import { applyConcurrency, readConcurrency } from './mapping.ts';
import {
  AutoscalingPolicySchema,
  decideConcurrency,
  SCALING_ACTION,
  type ScalerState,
  type ScalingDecision,
  type ScalingInputs,
} from './policy.ts';
import { readQueue } from './queue-metrics.ts';

/** Environment the WorkerAutoscaling construct sets on its function (besides the schedule's). */
export const AUTOSCALER_ENV = {
  /** JSON of {@link AutoscalerConfig}. */
  config: 'LANES_AUTOSCALER_CONFIG',
} as const;

/** Metrics the autoscaler emits every period (namespace `metricNamespace`, dimension `worker`). */
export const AUTOSCALER_METRICS = {
  /** The mapping's maximum concurrency after the decision. */
  MAX_CONCURRENCY: 'AutoscalerMaxConcurrency',
  /** What the targets asked for, before bounds and cooldown. */
  WANTED_CONCURRENCY: 'AutoscalerWantedConcurrency',
  /** Messages waiting or in flight. */
  BACKLOG: 'AutoscalerBacklog',
  /** 1 when a change could not be applied. */
  ERRORS: 'AutoscalerErrors',
} as const;

/** Everything one autoscaler needs to know: its worker, the mapping and the policy. */
export const AutoscalerConfigSchema = z.object({
  worker: z.string().min(1),
  functionName: z.string().min(1),
  mappingUuid: z.string().min(1),
  aliasName: z.string().min(1).optional(),
  queueUrl: z.string().min(1),
  metricNamespace: z.string().min(1).default('lanes'),
  policy: AutoscalingPolicySchema,
});
export type AutoscalerConfig = z.infer<typeof AutoscalerConfigSchema>;
export type AutoscalerConfigInput = z.input<typeof AutoscalerConfigSchema>;

/** Reads and checks the configuration JSON, naming every bad field. */
export function parseAutoscalerConfig(json: string): AutoscalerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ScalingConfigError(
      `${AUTOSCALER_ENV.config} is not JSON (${(error as Error).message}); the WorkerAutoscaling construct sets it.`,
      { cause: error },
    );
  }
  const parsed = AutoscalerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) =>
      issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    );
    throw new ScalingConfigError(`Invalid ${AUTOSCALER_ENV.config}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Where the autoscaler keeps its state: one item per schedule in the coordination table. */
export function autoscalerStateKey(scheduleName: string): string {
  return CoordinationKeys.fence(`autoscaler#${scheduleName}`);
}

/** One period's outcome as logged and returned. */
export interface PeriodDecision extends ScalingDecision {
  readonly worker: string;
  readonly periodStartMs: number;
  /** When the decision was made (the clock the policy, floors included, was evaluated at). */
  readonly decidedAtMs: number;
  readonly inputs: ScalingInputs;
  /** What was changed, in order (empty for a hold). */
  readonly applied: readonly string[];
  readonly error?: string;
}

export interface AutoscalerOptions {
  readonly config: AutoscalerConfig;
  readonly tableName: string;
  readonly scheduleName: string;
  readonly lambda: LambdaClient;
  readonly sqs: SQSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly dynamodb: DynamoDBClient;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  readonly metrics: Metrics;
  readonly nowMs: () => number;
}

/**
 * One worker's autoscaler: reads the queue and the mapping, decides ({@link decideConcurrency}),
 * applies the change keeping reserved >= the mappings' concurrency, logs the decision with its
 * inputs, emits metrics, and keeps its state fenced by the schedule's lease token (a scaler that
 * lost its lease cannot overwrite a newer one's state).
 *
 * @example
 * const scaler = new Autoscaler({ config, tableName, scheduleName, lambda, sqs, cloudwatch, dynamodb, logger, metrics, nowMs: Date.now });
 * await schedule.trigger(Date.now(), (window) => scaler.evaluate(window).then(() => undefined));
 */
export class Autoscaler {
  readonly #options: AutoscalerOptions;

  constructor(options: AutoscalerOptions) {
    this.#options = options;
  }

  /** Decides and applies one evaluation period (run under the schedule's lease). */
  async evaluate(window: ScheduleWindow): Promise<PeriodDecision> {
    const { config, lambda, sqs, cloudwatch, logger, metrics } = this.#options;
    const nowMs = this.#options.nowMs();
    const target = {
      functionName: config.functionName,
      mappingUuid: config.mappingUuid,
      ...(config.aliasName ? { aliasName: config.aliasName } : {}),
    };
    const [state, queue, concurrency] = await Promise.all([
      this.#readState(),
      readQueue(sqs, cloudwatch, config.queueUrl, {
        age: config.policy.targetOldestMessageAgeSeconds !== undefined,
        nowMs,
      }),
      readConcurrency(lambda, target),
    ]);
    const inputs: ScalingInputs = {
      visible: queue.visible,
      inFlight: queue.inFlight,
      oldestMessageAgeSeconds: queue.oldestMessageAgeSeconds,
      // A mapping without a cap (never deployed that way by the Worker) counts as at its minimum.
      currentMaxConcurrency: concurrency.maxConcurrency ?? config.policy.minConcurrency,
      reservedConcurrency: concurrency.reservedConcurrency,
      otherMappingsConcurrency: concurrency.otherMappingsConcurrency,
    };
    const decision = decideConcurrency(config.policy, inputs, state, nowMs);
    let applied: string[] = [];
    let error: string | undefined;
    let nextState = decision.state;
    const reservedChanges = decision.reserved && decision.reserved.to !== decision.reserved.from;
    if (decision.action !== SCALING_ACTION.HOLD || reservedChanges) {
      try {
        applied = await applyConcurrency(lambda, target, concurrency, {
          ...(decision.to !== decision.from ? { maxConcurrency: decision.to } : {}),
          ...(decision.reserved ? { reservedConcurrency: decision.reserved.to } : {}),
        });
      } catch (failure) {
        error = (failure as Error).message;
        // Nothing (or not all) changed: keep the old change time, so the next period tries again.
        nextState = {
          ...state,
          ...(decision.state.lastBusyMs ? { lastBusyMs: decision.state.lastBusyMs } : {}),
        };
      }
    }
    const outcome: PeriodDecision = {
      worker: config.worker,
      periodStartMs: window.windowStartMs,
      decidedAtMs: nowMs,
      ...decision,
      ...(error ? { to: decision.from } : {}),
      inputs,
      applied,
      ...(error ? { error } : {}),
    };
    await this.#writeState(nextState, outcome, window.token);
    const log = {
      worker: config.worker,
      periodStart: new Date(window.windowStartMs).toISOString(),
      periodStartMs: window.windowStartMs,
      action: outcome.action,
      from: outcome.from,
      to: outcome.to,
      reason: outcome.reason,
      inputs,
      demand: outcome.demand,
      bounds: outcome.bounds,
      ...(outcome.reserved ? { reserved: outcome.reserved } : {}),
      applied,
      token: window.token,
    };
    if (error) logger.error('autoscaling decision failed to apply', { ...log, error });
    else logger.info('autoscaling decision', log);
    metrics.addDimension('worker', config.worker);
    metrics.addMetric(AUTOSCALER_METRICS.MAX_CONCURRENCY, MetricUnit.Count, outcome.to);
    metrics.addMetric(
      AUTOSCALER_METRICS.WANTED_CONCURRENCY,
      MetricUnit.Count,
      outcome.demand.wanted,
    );
    metrics.addMetric(
      AUTOSCALER_METRICS.BACKLOG,
      MetricUnit.Count,
      inputs.visible + inputs.inFlight,
    );
    if (error) metrics.addMetric(AUTOSCALER_METRICS.ERRORS, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    return outcome;
  }

  async #readState(): Promise<ScalerState> {
    const { Item } = await this.#options.dynamodb.send(
      new GetItemCommand({
        TableName: this.#options.tableName,
        Key: {
          [CoordinationKeys.partitionKey]: { S: autoscalerStateKey(this.#options.scheduleName) },
        },
        ConsistentRead: true,
      }),
    );
    const number = (name: string) =>
      Item?.[name]?.N === undefined ? undefined : Number(Item[name].N);
    const lastChangeMs = number('lastChangeMs');
    const lastBusyMs = number('lastBusyMs');
    return {
      ...(lastChangeMs !== undefined ? { lastChangeMs } : {}),
      ...(lastBusyMs !== undefined ? { lastBusyMs } : {}),
    };
  }

  async #writeState(state: ScalerState, decision: PeriodDecision, token: number): Promise<void> {
    const item: Record<string, { S: string } | { N: string }> = {
      [CoordinationKeys.partitionKey]: { S: autoscalerStateKey(this.#options.scheduleName) },
      worker: { S: decision.worker },
      periodStartMs: { N: String(decision.periodStartMs) },
      maxConcurrency: { N: String(decision.to) },
      lastDecision: {
        S: JSON.stringify({
          action: decision.action,
          from: decision.from,
          to: decision.to,
          reason: decision.reason,
          periodStartMs: decision.periodStartMs,
          ...(decision.error ? { error: decision.error } : {}),
        }),
      },
    };
    if (state.lastChangeMs !== undefined) item.lastChangeMs = { N: String(state.lastChangeMs) };
    if (state.lastBusyMs !== undefined) item.lastBusyMs = { N: String(state.lastBusyMs) };
    await this.#options.dynamodb.send(
      new PutItemCommand(fencePut({ TableName: this.#options.tableName, Item: item }, token)),
    );
  }
}
