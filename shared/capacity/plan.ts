/**
 * Capacity planning for a lanes worker: from an arrival rate, a per-message processing time and
 * the partitioning, derive the concurrency a worker needs and the settings that carry it
 * (mapping maximum concurrency, reserved concurrency, visibility timeout, maxReceiveCount), and
 * flag the AWS limits the plan runs into. Numbers from docs/aws-limits.md.
 *
 * Our own: neither Powertools nor CDK plans capacity; the arithmetic is Little's law
 * (concurrency = arrival rate x time in service) plus the limits below.
 */

import { PlanInputError } from './errors.ts';

/** AWS limits the plan checks against. */
export const AWS_LIMITS = {
  /** FIFO: one batch in flight per message group. */
  fifoInFlightPerGroup: 1,
  /** SQS FIFO throughput, messages/s per queue with high-throughput mode and batching. */
  fifoMessagesPerSecond: 70_000,
  /** Event source mapping ScalingConfig.MaximumConcurrency range. */
  maxConcurrencyMin: 2,
  maxConcurrencyMax: 1_000,
  /** Default account concurrency, of which 100 must stay unreserved. */
  accountConcurrency: 1_000,
  unreservedMinimum: 100,
  /** DynamoDB write units per second per partition. */
  dynamoWritesPerPartitionPerSecond: 1_000,
  /** Standard SQS in-flight messages per queue. */
  standardInFlight: 120_000,
} as const;

/** What the workload looks like. */
export interface WorkloadInput {
  /** Messages per second arriving at peak. */
  readonly ratePerSecond: number;
  /** Time to process one message, in milliseconds (p99 is the safe choice). */
  readonly processingMs: number;
  /** Records per batch (SQS: 1..10 for FIFO, up to 10,000 for standard). */
  readonly batchSize: number;
  /** FIFO queue partitioned by key, or a standard queue. */
  readonly fifo: boolean;
  /** Partition keys active at peak (FIFO only: caps parallelism). */
  readonly activeKeys?: number;
  /** Function timeout in seconds. @default - 3 x the time of one batch, at least 10 s */
  readonly functionTimeoutSeconds?: number;
  /** Maximum batching window in seconds. @default 0 */
  readonly batchingWindowSeconds?: number;
  /** Headroom over the computed concurrency. @default 0.3 (30 %) */
  readonly headroom?: number;
  /** DynamoDB writes per message to one partition key (e.g. a per-key counter). @default 0 */
  readonly writesPerMessagePerKey?: number;
}

/** A recommendation and the problems found. */
export interface CapacityPlan {
  /** Concurrent batches needed at peak (Little's law, with headroom). */
  readonly requiredConcurrency: number;
  /** The most concurrency the partitioning allows (FIFO: active keys). */
  readonly partitionCeiling: number;
  /** What the worker can actually run: min(required, ceiling, 1000). */
  readonly plannedConcurrency: number;
  /** Messages/s the planned concurrency sustains. */
  readonly sustainableRatePerSecond: number;
  readonly settings: {
    readonly maxConcurrency: number;
    readonly reservedConcurrency: number;
    readonly functionTimeoutSeconds: number;
    readonly visibilityTimeoutSeconds: number;
    readonly maxReceiveCount: number;
  };
  /** Limits the workload runs into, each with what to do. */
  readonly warnings: readonly string[];
}

function positive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new PlanInputError(`${name} must be a positive number (given ${value})`);
}

/**
 * Plans a worker's capacity.
 *
 * @example
 * const plan = planCapacity({ ratePerSecond: 500, processingMs: 40, batchSize: 10, fifo: true, activeKeys: 50 });
 * plan.settings.maxConcurrency; // 26
 */
export function planCapacity(input: WorkloadInput): CapacityPlan {
  positive('ratePerSecond', input.ratePerSecond);
  positive('processingMs', input.processingMs);
  if (
    !Number.isInteger(input.batchSize) ||
    input.batchSize < 1 ||
    (input.fifo && input.batchSize > 10)
  ) {
    throw new PlanInputError(
      `batchSize must be an integer in 1..${input.fifo ? 10 : 10_000} (given ${input.batchSize})`,
    );
  }
  if (
    input.fifo &&
    (input.activeKeys === undefined || !Number.isInteger(input.activeKeys) || input.activeKeys < 1)
  ) {
    throw new PlanInputError(
      `activeKeys must be a positive integer for a FIFO queue (given ${input.activeKeys})`,
    );
  }
  const headroom = input.headroom ?? 0.3;
  const batchSeconds = (input.batchSize * input.processingMs) / 1000;
  const batchesPerSecond = input.ratePerSecond / input.batchSize;
  const requiredConcurrency = Math.max(
    1,
    Math.ceil(batchesPerSecond * batchSeconds * (1 + headroom)),
  );
  const partitionCeiling = input.fifo
    ? (input.activeKeys ?? 1) * AWS_LIMITS.fifoInFlightPerGroup
    : AWS_LIMITS.maxConcurrencyMax;
  const plannedConcurrency = Math.min(
    requiredConcurrency,
    partitionCeiling,
    AWS_LIMITS.maxConcurrencyMax,
  );
  const sustainableRatePerSecond = Math.floor(
    (plannedConcurrency * input.batchSize) / batchSeconds,
  );

  const maxConcurrency = Math.max(AWS_LIMITS.maxConcurrencyMin, plannedConcurrency);
  const functionTimeoutSeconds =
    input.functionTimeoutSeconds ?? Math.max(10, Math.ceil(batchSeconds * 3));
  const batchingWindowSeconds = input.batchingWindowSeconds ?? 0;
  const settings = {
    maxConcurrency,
    reservedConcurrency: maxConcurrency,
    functionTimeoutSeconds,
    visibilityTimeoutSeconds: 6 * functionTimeoutSeconds + batchingWindowSeconds,
    maxReceiveCount: 5,
  };

  const warnings: string[] = [];
  if (requiredConcurrency > partitionCeiling && input.fifo) {
    warnings.push(
      `needs ${requiredConcurrency} concurrent batches but FIFO allows one per active key (${partitionCeiling}): ` +
        `at most ${sustainableRatePerSecond} msg/s. Partition by a finer key, or use more lanes.`,
    );
  }
  if (requiredConcurrency > AWS_LIMITS.maxConcurrencyMax) {
    warnings.push(
      `needs ${requiredConcurrency} concurrent batches; one mapping reaches ${AWS_LIMITS.maxConcurrencyMax}. ` +
        'Split the queue (more component groups) or make processing faster.',
    );
  }
  if (settings.reservedConcurrency > AWS_LIMITS.accountConcurrency - AWS_LIMITS.unreservedMinimum) {
    warnings.push(
      `reserved concurrency ${settings.reservedConcurrency} leaves less than ${AWS_LIMITS.unreservedMinimum} unreserved ` +
        `of the default ${AWS_LIMITS.accountConcurrency}: request a higher account limit.`,
    );
  }
  if (input.fifo && input.ratePerSecond > AWS_LIMITS.fifoMessagesPerSecond) {
    warnings.push(
      `${input.ratePerSecond} msg/s exceeds one FIFO queue's ${AWS_LIMITS.fifoMessagesPerSecond} msg/s: shard the ingress.`,
    );
  }
  const writes = input.writesPerMessagePerKey ?? 0;
  if (writes > 0 && input.fifo) {
    // Per-key order means one key's messages are processed one after another.
    const perKeyRate = (1000 / input.processingMs) * writes;
    if (perKeyRate > AWS_LIMITS.dynamoWritesPerPartitionPerSecond) {
      warnings.push(
        `one hot key can write ${Math.round(perKeyRate)} units/s to one DynamoDB partition (limit ${AWS_LIMITS.dynamoWritesPerPartitionPerSecond}): spread the key's items.`,
      );
    }
  }
  return {
    requiredConcurrency,
    partitionCeiling,
    plannedConcurrency,
    sustainableRatePerSecond,
    settings,
    warnings,
  };
}
