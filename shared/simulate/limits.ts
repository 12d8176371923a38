import { AWS_LIMITS } from '../capacity/limits.ts';

/**
 * The AWS numbers the simulator uses. Every one is in docs/aws-limits.md (section named in the
 * comment); change it there first. The ones the capacity planner checks too come from its
 * {@link AWS_LIMITS} (documented there), so the two cannot disagree. Numbers AWS does not publish are in {@link MODEL_DEFAULTS}:
 * they are assumptions of the model, each one a workload setting (`model:` in the workload file).
 */
export const AWS = {
  sqs: {
    messagesPerCall: AWS_LIMITS.messagesPerCall,
    fifoCallsPerSecond: AWS_LIMITS.fifoCallsPerSecond,
    fifoHighThroughputCallsPerSecond: AWS_LIMITS.fifoHighThroughputCallsPerSecond,
    maxInFlight: AWS_LIMITS.inFlightPerQueue,
    /** Long polling: an empty ReceiveMessage waits up to 20 s (SQS table). */
    longPollSeconds: 20,
    /** CloudFormation defaults of AWS::SQS::Queue (SQS table). */
    defaultVisibilityTimeoutSeconds: 30,
    fairNoisyShare: AWS_LIMITS.fairNoisyShare,
    fairNoisyMinInFlight: AWS_LIMITS.fairNoisyMinInFlight,
    /** A noisy tenant is quiet again after this long without sends (fair queues). */
    fairQuietAfterSeconds: 300,
  },
  esm: {
    standardInitialConcurrency: AWS_LIMITS.standardInitialConcurrency,
    standardScaleUpPerMinute: AWS_LIMITS.standardScaleUpPerMinute,
    /** Standard queue: most concurrent batches per mapping. */
    standardMaxConcurrency: 1_000,
    /** FIFO queue: concurrency up to the active message groups, at most this many. */
    fifoMaxConcurrency: 1_000,
    provisionedInvokesPerPoller: AWS_LIMITS.invokesPerPoller,
    provisionedScaleUpPerMinute: AWS_LIMITS.provisionedScaleUpPerMinute,
    provisionedMaxConcurrency: AWS_LIMITS.provisionedMaxConcurrency,
    /** Provisioned mode: CloudFormation defaults of MinimumPollers / MaximumPollers. */
    provisionedDefaultMinimumPollers: 2,
    provisionedDefaultMaximumPollers: 200,
    /** CloudFormation defaults of AWS::Lambda::EventSourceMapping for SQS. */
    defaultBatchSize: 10,
  },
  lambda: {
    accountConcurrency: AWS_LIMITS.accountConcurrency,
    unreservedMinimum: AWS_LIMITS.unreservedMinimum,
    /** Function scaling: new execution environments per 10 s per function. */
    environmentsPer10Seconds: 1_000,
    /** CloudFormation defaults of AWS::Lambda::Function. */
    defaultTimeoutSeconds: 3,
    defaultMemoryMb: 128,
  },
  dynamodb: {
    writeUnitsPerPartitionPerSecond: AWS_LIMITS.dynamoWritesPerPartitionPerSecond,
    /** A new on-demand table starts warm at this many write units: 4 partitions. */
    onDemandInitialWriteUnits: 4_000,
  },
  /** List prices in us-east-1, USD (docs/aws-limits.md, "Prices"). */
  prices: {
    lambdaPerMillionRequests: 0.2,
    lambdaPerGbSecondX86: 0.0000166667,
    lambdaPerGbSecondArm: 0.0000133334,
    sqsStandardPerMillionRequests: 0.4,
    sqsFifoPerMillionRequests: 0.5,
    dynamodbOnDemandPerMillionWriteUnits: 0.625,
    eventBridgePerMillionEvents: 1.0,
  },
} as const;

/**
 * Behaviour AWS does not publish as numbers, with the values the model assumes. Each can be set in
 * the workload file under `model:`; the calibration scenarios set the local ones.
 */
export const MODEL_DEFAULTS = {
  /** Arrivals are drawn per tick of this length (then spread evenly, or at random per event). */
  tickMs: 100,
  /**
   * Arrivals merge into one cohort while their send times lie within this span or within
   * {@link MODEL_DEFAULTS.relativeResolution} of the age of the oldest waiting message.
   */
  resolutionMs: 100,
  /** Relative precision of send times kept for dwell time and message age. */
  relativeResolution: 0.01,
  /** Time between a batch's invocation returning and the same poller's next batch starting
   * (ReceiveMessage, DeleteMessageBatch and the Invoke call around it). */
  pollOverheadMs: 20,
  /** A long-polling receive returns this long after a message became available. */
  wakeLatencyMs: 5,
  /** Extra time of an invocation that needs a new execution environment (init). */
  coldStartMs: 250,
  /** An idle execution environment is reclaimed after this long. */
  idleEnvironmentSeconds: 300,
  /** Throttled invokes: the mapping retries after this, doubling, up to the maximum below. */
  throttleRetryMs: 1_000,
  throttleRetryMaxMs: 16_000,
  /** After a throttle, the mapping does not scale up for this long. */
  throttleCooldownSeconds: 10,
  /** Lease duration of the lanes per-key policy (the coordination library's default). */
  keyLeaseSeconds: 30,
} as const;
