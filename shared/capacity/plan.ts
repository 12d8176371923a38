/**
 * Capacity planning for a lanes worker: from an arrival rate, a per-message processing time and
 * the partitioning, derive the concurrency a worker needs and the settings that carry it
 * (mapping maximum concurrency or provisioned pollers, reserved concurrency, function and
 * visibility timeouts, maxReceiveCount), how long the mapping takes to get there, and the AWS
 * limits the plan runs into. Numbers from docs/aws-limits.md (`./limits.ts`).
 *
 * Our own: neither Powertools nor CDK plans capacity; the arithmetic is Little's law
 * (concurrency = arrival rate x time in service) plus the limits below.
 */

import { PlanInputError } from './errors.ts';
import { AWS_LIMITS } from './limits.ts';
import { type RampEstimate, rampToConcurrency } from './ramp.ts';

/** How events reach the worker's queue (the Ingress construct's modes). */
export const PLAN_INGRESS = {
  /** The publisher sends to the queue; FIFO groups are partition keys. */
  DIRECT: 'direct',
  /** Over EventBridge lanes: a FIFO queue gets one message group per lane. */
  EVENTBRIDGE: 'eventbridge',
  /** A standard queue with MessageGroupId = tenant (SQS fair queues). */
  FAIR: 'fair',
} as const;
export type PlanIngress = (typeof PLAN_INGRESS)[keyof typeof PLAN_INGRESS];

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
  /** Partition keys (FIFO: message groups; fair mode: tenants) active at peak. */
  readonly activeKeys?: number;
  /** Function timeout in seconds (at most 900). @default - 3 x the time of one batch, at least 10 s */
  readonly functionTimeoutSeconds?: number;
  /** Maximum batching window in seconds (standard queues). @default 0 */
  readonly batchingWindowSeconds?: number;
  /** Headroom over the computed concurrency. @default 0.3 (30 %) */
  readonly headroom?: number;
  /** DynamoDB writes per message to one partition key (e.g. a per-key counter). @default 0 */
  readonly writesPerMessagePerKey?: number;
  /** How events reach the queue. @default 'direct' */
  readonly ingress?: PlanIngress;
  /** Lanes of the Ingress (EventBridge mode): the FIFO parallelism. @default 8 (the Ingress default) */
  readonly lanes?: number;
  /**
   * FIFO throughput mode: `high` (quotas per message group, what the Worker creates) or
   * `default` (300 calls/s per action for the whole queue). @default 'high'
   */
  readonly fifoThroughput?: 'high' | 'default';
  /** Region, for the high-throughput FIFO and PutEvents quotas. @default 'us-east-1' */
  readonly region?: string;
  /** FIFO calls per second per action from your Service Quotas console (overrides the table). */
  readonly fifoCallsPerSecond?: number;
  /** Messages per SendMessageBatch of the producer (the lanes publisher sends 10). @default 10 */
  readonly sendBatchSize?: number;
  /** The account's Lambda concurrency (new accounts are often below 1,000). @default 1000 */
  readonly accountConcurrency?: number;
  /** Plan for provisioned pollers instead of a maximum concurrency. @default false */
  readonly provisioned?: boolean;
  /** Provisioned mode: pollers kept ready (2..200). @default 2 */
  readonly minimumPollers?: number;
  /** Fair mode with the runtime's `limit(k)` key policy: records of one tenant in flight at once. */
  readonly tenantLimit?: number;
}

/** The settings that carry the plan (Worker props). */
export interface PlannedSettings {
  /** The mapping's maximum concurrency (absent in provisioned mode, which cannot have one). */
  readonly maxConcurrency?: number;
  /** Provisioned mode: pollers (each drives up to 10 concurrent invocations). */
  readonly provisionedPollers?: {
    readonly minimumPollers: number;
    readonly maximumPollers: number;
  };
  readonly reservedConcurrency: number;
  readonly functionTimeoutSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

/** A recommendation and the problems found. */
export interface CapacityPlan {
  /** Concurrent batches needed at peak (Little's law, with headroom). */
  readonly requiredConcurrency: number;
  /** The most concurrency the partitioning allows (FIFO: active groups, or lanes). */
  readonly partitionCeiling: number;
  /** What the worker can actually run: min(required, partitioning, mapping, account). */
  readonly plannedConcurrency: number;
  /** Messages/s the planned concurrency and the queue's or bus's quotas sustain. */
  readonly sustainableRatePerSecond: number;
  /** Messages/s the queue's or bus's API quotas allow, and which quota that is. */
  readonly throughputCeiling: { readonly perSecond: number; readonly limitedBy: string };
  readonly settings: PlannedSettings;
  /** How long the mapping takes from idle to the planned concurrency, and the backlog meanwhile. */
  readonly ramp: RampEstimate;
  /** Facts about the plan worth knowing (fair-queue thresholds, per-tenant ceilings). */
  readonly notes: readonly string[];
  /** Limits the workload runs into, each with what to do. */
  readonly warnings: readonly string[];
}

function positive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new PlanInputError(`${name} must be a positive number (given ${value})`);
}

function positiveInteger(name: string, value: number | undefined, max?: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || (max !== undefined && value > max)) {
    throw new PlanInputError(`${name} must be an integer in 1..${max ?? 'any'} (given ${value})`);
  }
}

function validate(input: WorkloadInput, ingress: PlanIngress): void {
  positive('ratePerSecond', input.ratePerSecond);
  positive('processingMs', input.processingMs);
  if (
    !Number.isInteger(input.batchSize) ||
    input.batchSize < 1 ||
    input.batchSize > (input.fifo ? 10 : 10_000)
  ) {
    throw new PlanInputError(
      `batchSize must be an integer in 1..${input.fifo ? 10 : 10_000} (given ${input.batchSize})`,
    );
  }
  if (
    input.fifo &&
    ingress !== PLAN_INGRESS.EVENTBRIDGE &&
    (input.activeKeys === undefined || !Number.isInteger(input.activeKeys) || input.activeKeys < 1)
  ) {
    throw new PlanInputError(
      `activeKeys must be a positive integer for a FIFO queue (given ${input.activeKeys})`,
    );
  }
  if (!Object.values(PLAN_INGRESS).includes(ingress)) {
    throw new PlanInputError(
      `ingress must be one of ${Object.values(PLAN_INGRESS).join(', ')} (given ${ingress})`,
    );
  }
  if (ingress === PLAN_INGRESS.FAIR && input.fifo) {
    throw new PlanInputError(
      'ingress fair is a standard queue with a MessageGroupId per tenant (given fifo): drop fifo, or use direct for per-key order',
    );
  }
  if (input.lanes !== undefined && ingress !== PLAN_INGRESS.EVENTBRIDGE) {
    throw new PlanInputError(
      `lanes only applies to ingress eventbridge (given ingress ${ingress})`,
    );
  }
  positiveInteger('lanes', input.lanes, AWS_LIMITS.maxLanes);
  positiveInteger('activeKeys', input.activeKeys);
  positiveInteger('sendBatchSize', input.sendBatchSize, AWS_LIMITS.messagesPerCall);
  positiveInteger('accountConcurrency', input.accountConcurrency);
  positiveInteger('tenantLimit', input.tenantLimit);
  positiveInteger('fifoCallsPerSecond', input.fifoCallsPerSecond);
  if (input.tenantLimit !== undefined && ingress !== PLAN_INGRESS.FAIR) {
    throw new PlanInputError(
      `tenantLimit only applies to ingress fair (given ingress ${ingress}); on FIFO a key already has one batch in flight`,
    );
  }
  if (input.fifo && (input.batchingWindowSeconds ?? 0) > 0) {
    throw new PlanInputError(
      `batchingWindowSeconds is not supported on FIFO queues (given ${input.batchingWindowSeconds}); remove it or plan a standard queue`,
    );
  }
  if (input.functionTimeoutSeconds !== undefined)
    positive('functionTimeoutSeconds', input.functionTimeoutSeconds);
  if (input.minimumPollers !== undefined) {
    if (!input.provisioned) {
      throw new PlanInputError(
        `minimumPollers only applies with provisioned (given ${input.minimumPollers})`,
      );
    }
    if (
      !Number.isInteger(input.minimumPollers) ||
      input.minimumPollers < 2 ||
      input.minimumPollers > AWS_LIMITS.minimumPollersMax
    ) {
      throw new PlanInputError(
        `minimumPollers must be an integer in 2..${AWS_LIMITS.minimumPollersMax} (given ${input.minimumPollers})`,
      );
    }
  }
  if (
    input.fifoThroughput !== undefined &&
    input.fifoThroughput !== 'high' &&
    input.fifoThroughput !== 'default'
  ) {
    throw new PlanInputError(
      `fifoThroughput must be high or default (given ${input.fifoThroughput})`,
    );
  }
}

/** FIFO calls per second per action, and where the number comes from. */
function fifoCallsPerSecond(
  input: WorkloadInput,
  region: string,
): { calls?: number; source: string } {
  if (input.fifoCallsPerSecond !== undefined) {
    return { calls: input.fifoCallsPerSecond, source: 'your quota' };
  }
  if ((input.fifoThroughput ?? 'high') === 'default') {
    return { calls: AWS_LIMITS.fifoCallsPerSecond, source: 'FIFO default mode' };
  }
  const calls = AWS_LIMITS.fifoHighThroughputCallsPerSecond[region];
  return { calls, source: `high-throughput FIFO in ${region}` };
}

/**
 * Plans a worker's capacity.
 *
 * @example
 * const plan = planCapacity({ ratePerSecond: 500, processingMs: 40, batchSize: 10, fifo: true, activeKeys: 50 });
 * plan.settings.maxConcurrency; // 26
 * plan.ramp.seconds; // 0: FIFO mappings follow the active groups
 */
export function planCapacity(input: WorkloadInput): CapacityPlan {
  const ingress = input.ingress ?? PLAN_INGRESS.DIRECT;
  validate(input, ingress);
  const warnings: string[] = [];
  const notes: string[] = [];
  const region = input.region ?? 'us-east-1';
  const headroom = input.headroom ?? 0.3;
  const processingSeconds = input.processingMs / 1000;
  const batchSeconds = input.batchSize * processingSeconds;
  const batchesPerSecond = input.ratePerSecond / input.batchSize;
  const requiredConcurrency = Math.max(
    1,
    Math.ceil(batchesPerSecond * batchSeconds * (1 + headroom)),
  );
  const accountConcurrency = input.accountConcurrency ?? AWS_LIMITS.accountConcurrency;
  const provisioned = input.provisioned ?? false;

  // What the partitioning allows: one batch per FIFO group in flight (a lane is one group).
  const lanes = ingress === PLAN_INGRESS.EVENTBRIDGE ? (input.lanes ?? 8) : undefined;
  const mappingCeiling = provisioned
    ? AWS_LIMITS.provisionedMaxConcurrency
    : AWS_LIMITS.maxConcurrencyMax;
  let partitionCeiling = mappingCeiling;
  if (input.fifo) {
    const groups =
      lanes !== undefined ? Math.min(lanes, input.activeKeys ?? lanes) : (input.activeKeys ?? 1);
    partitionCeiling = groups * AWS_LIMITS.fifoInFlightPerGroup;
  }
  const accountCeiling = Math.max(1, accountConcurrency - AWS_LIMITS.unreservedMinimum);
  const plannedConcurrency = Math.min(
    requiredConcurrency,
    partitionCeiling,
    mappingCeiling,
    accountCeiling,
  );

  // The queue's (FIFO) or the bus's API quotas cap the throughput whatever the concurrency.
  const throughputCeiling = queueThroughputCeiling(input, ingress, region, warnings);
  const concurrencyRate = Math.floor((plannedConcurrency * input.batchSize) / batchSeconds);
  const sustainableRatePerSecond = Math.min(concurrencyRate, throughputCeiling.perSecond);

  const functionTimeoutSeconds = plannedTimeout(input, batchSeconds, warnings);
  const batchingWindowSeconds = input.batchingWindowSeconds ?? 0;
  const maxConcurrency = Math.max(AWS_LIMITS.maxConcurrencyMin, plannedConcurrency);
  const pollers = provisioned ? plannedPollers(input, plannedConcurrency) : undefined;
  const settings: PlannedSettings = {
    ...(pollers ? { provisionedPollers: pollers } : { maxConcurrency }),
    reservedConcurrency: pollers
      ? Math.max(plannedConcurrency, pollers.minimumPollers * AWS_LIMITS.invokesPerPoller)
      : maxConcurrency,
    functionTimeoutSeconds,
    visibilityTimeoutSeconds: 6 * functionTimeoutSeconds + batchingWindowSeconds,
    maxReceiveCount: 5,
  };
  const ramp = rampToConcurrency({
    fifo: input.fifo,
    provisioned,
    startConcurrency: pollers ? pollers.minimumPollers * AWS_LIMITS.invokesPerPoller : undefined,
    targetConcurrency: plannedConcurrency,
    ratePerSecond: input.ratePerSecond,
    messagesPerSecondPerUnit: input.batchSize / batchSeconds,
  });

  if (input.fifo && requiredConcurrency > partitionCeiling) {
    const what =
      lanes !== undefined
        ? `one per lane over EventBridge (${partitionCeiling} of --lanes ${lanes})`
        : `one per active key (${partitionCeiling})`;
    warnings.push(
      `needs ${requiredConcurrency} concurrent batches but FIFO allows ${what}: ` +
        `at most ${concurrencyRate} msg/s. ${lanes !== undefined ? `Raise --lanes (up to ${AWS_LIMITS.maxLanes}; each lane of each FIFO group is one rule, ${AWS_LIMITS.rulesPerBus} rules per bus by default)` : 'Partition by a finer key'}, or make processing faster.`,
    );
  }
  if (requiredConcurrency > mappingCeiling) {
    warnings.push(
      `needs ${requiredConcurrency} concurrent batches; one mapping reaches ${mappingCeiling}${provisioned ? ' in provisioned mode' : ` (provisioned mode reaches ${AWS_LIMITS.provisionedMaxConcurrency})`}. ` +
        'Split the queue (more component groups) or make processing faster.',
    );
  }
  if (settings.reservedConcurrency > accountCeiling || requiredConcurrency > accountCeiling) {
    warnings.push(
      `needs ${Math.max(settings.reservedConcurrency, requiredConcurrency)} concurrent executions but an account of ${accountConcurrency} must keep ${AWS_LIMITS.unreservedMinimum} unreserved: ` +
        `the plan is capped at ${accountCeiling}. Request a higher account concurrency (new accounts are often below ${AWS_LIMITS.accountConcurrency}).`,
    );
  }
  if (concurrencyRate > throughputCeiling.perSecond) {
    warnings.push(
      `${concurrencyRate} msg/s of processing is above the ${throughputCeiling.perSecond} msg/s that ${throughputCeiling.limitedBy} allows: sustained ${sustainableRatePerSecond} msg/s.`,
    );
  } else if (input.ratePerSecond > throughputCeiling.perSecond) {
    warnings.push(
      `${input.ratePerSecond} msg/s is above the ${throughputCeiling.perSecond} msg/s that ${throughputCeiling.limitedBy} allows: shard the ingress or raise the quota.`,
    );
  }
  const inFlightMessages = plannedConcurrency * input.batchSize;
  if (!input.fifo && inFlightMessages > AWS_LIMITS.inFlightPerQueue) {
    warnings.push(
      `${inFlightMessages} messages in flight at once is above SQS's ${AWS_LIMITS.inFlightPerQueue} per queue: lower batchSize or split the queue.`,
    );
  }
  if (ingress === PLAN_INGRESS.FAIR) fairNotes(input, inFlightMessages, notes);
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
    throughputCeiling,
    settings,
    ramp,
    notes,
    warnings,
  };
}

function queueThroughputCeiling(
  input: WorkloadInput,
  ingress: PlanIngress,
  region: string,
  warnings: string[],
): { perSecond: number; limitedBy: string } {
  const ceilings: { perSecond: number; limitedBy: string }[] = [];
  if (ingress === PLAN_INGRESS.EVENTBRIDGE) {
    ceilings.push({
      perSecond: AWS_LIMITS.putEventsCallsPerSecond * AWS_LIMITS.putEventsEntriesPerCall,
      limitedBy: `PutEvents (${AWS_LIMITS.putEventsCallsPerSecond} calls/s of ${AWS_LIMITS.putEventsEntriesPerCall} entries in us-east-1${region === 'us-east-1' ? '' : `; less in ${region}`})`,
    });
  }
  if (input.fifo) {
    const { calls, source } = fifoCallsPerSecond(input, region);
    if (calls === undefined) {
      warnings.push(
        `the high-throughput FIFO quota of ${region} is not in docs/aws-limits.md (only us-east-1, us-west-2, eu-west-1, us-east-2, eu-central-1): ` +
          `planned with the default mode's ${AWS_LIMITS.fifoCallsPerSecond} calls/s; pass --fifo-calls-per-second from your Service Quotas console.`,
      );
    }
    const perAction = calls ?? AWS_LIMITS.fifoCallsPerSecond;
    // Sends are batched by the producer, receives and deletes by the mapping (at most 10 each).
    const sendBatch = input.sendBatchSize ?? AWS_LIMITS.messagesPerCall;
    const receiveBatch = Math.min(input.batchSize, AWS_LIMITS.messagesPerCall);
    const binding =
      sendBatch <= receiveBatch ? 'SendMessageBatch' : 'ReceiveMessage/DeleteMessageBatch';
    ceilings.push({
      perSecond: perAction * Math.min(sendBatch, receiveBatch),
      limitedBy: `${calls === undefined ? `FIFO default mode` : source} (${perAction} ${binding} calls/s of ${Math.min(sendBatch, receiveBatch)} messages)`,
    });
  }
  if (ceilings.length === 0) {
    return {
      perSecond: Number.POSITIVE_INFINITY,
      limitedBy: 'a standard queue (no documented limit)',
    };
  }
  return ceilings.reduce((low, next) => (next.perSecond < low.perSecond ? next : low));
}

/** The function timeout: 3 x one batch, at least 10 s, never above Lambda's 900 s. */
function plannedTimeout(input: WorkloadInput, batchSeconds: number, warnings: string[]): number {
  const max = AWS_LIMITS.maxFunctionTimeoutSeconds;
  const given = input.functionTimeoutSeconds;
  const wanted = given ?? Math.max(10, Math.ceil(batchSeconds * 3));
  if (wanted <= max) {
    if (batchSeconds > wanted) {
      warnings.push(
        `a batch of ${input.batchSize} takes ${batchSeconds.toFixed(1)} s, longer than the ${wanted} s timeout: raise the timeout or lower batchSize.`,
      );
    }
    return wanted;
  }
  const fitting = Math.max(1, Math.floor(max / 3 / (input.processingMs / 1000)));
  warnings.push(
    `${given === undefined ? `3 x one batch (${wanted} s)` : `a function timeout of ${wanted} s`} is above Lambda's ${max} s limit: planned with ${max} s. ` +
      (batchSeconds > max
        ? `A batch of ${input.batchSize} takes ${batchSeconds.toFixed(0)} s and can never finish: lower batchSize to at most ${fitting} or split the work (a workflow).`
        : `A batch of ${input.batchSize} (${batchSeconds.toFixed(0)} s) then has less than 3x its time: a slow batch times out and is retried whole; lower batchSize to ${Math.min(input.batchSize, fitting)} for the margin.`),
  );
  return max;
}

/** Provisioned mode: enough maximum pollers for the plan, the minimum kept ready. */
function plannedPollers(input: WorkloadInput, planned: number) {
  const maximumPollers = Math.min(
    AWS_LIMITS.maximumPollersMax,
    Math.max(2, Math.ceil(planned / AWS_LIMITS.invokesPerPoller)),
  );
  const minimumPollers = Math.min(input.minimumPollers ?? 2, maximumPollers);
  return { minimumPollers, maximumPollers };
}

function fairNotes(input: WorkloadInput, inFlightMessages: number, notes: string[]): void {
  // SQS fair queues: noisy above 10 % of the in-flight messages and at least 30 of its own.
  const noisyAbove = Math.max(
    AWS_LIMITS.fairNoisyMinInFlight - 1,
    Math.floor(AWS_LIMITS.fairNoisyShare * inFlightMessages),
  );
  notes.push(
    `fair queue: with about ${inFlightMessages} messages in flight, a tenant with more than ${noisyAbove} of them in flight is a noisy neighbour and its messages wait behind quieter tenants' (no order within a tenant).`,
  );
  if (input.tenantLimit !== undefined) {
    const perTenant = Math.floor((input.tenantLimit * 1000) / input.processingMs);
    notes.push(
      `limit(${input.tenantLimit}) per tenant: one tenant is processed at most ${perTenant} msg/s (${input.tenantLimit} records at a time); the rest of its messages wait, other tenants are not held back.`,
    );
    if (input.activeKeys !== undefined && input.activeKeys * input.tenantLimit < inFlightMessages) {
      notes.push(
        `${input.activeKeys} tenants x limit ${input.tenantLimit} = ${input.activeKeys * input.tenantLimit} records at a time, fewer than the ${inFlightMessages} the planned concurrency would run: the per-tenant limit, not concurrency, bounds throughput.`,
      );
    }
  }
}
