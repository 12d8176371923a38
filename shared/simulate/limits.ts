/**
 * The AWS numbers the simulator uses. Every one is in docs/aws-limits.md (section named in the
 * comment); change it there first. Numbers AWS does not publish are in {@link MODEL_DEFAULTS}:
 * they are assumptions of the model, each one a workload setting (`model:` in the workload file).
 */
export const AWS = {
  sqs: {
    /** Messages per ReceiveMessage / SendMessageBatch / DeleteMessageBatch call (SQS). */
    messagesPerCall: 10,
    /** FIFO default mode: API calls per second per action (SQS table). */
    fifoCallsPerSecond: 300,
    /** FIFO high-throughput mode: calls per second per action, by Region (SQS table). */
    fifoHighThroughputCallsPerSecond: {
      'us-east-1': 70_000,
      'us-west-2': 70_000,
      'eu-west-1': 70_000,
      'us-east-2': 19_000,
      'eu-central-1': 19_000,
    } as Readonly<Record<string, number>>,
    /** In-flight messages per queue, standard and FIFO (SQS table). */
    maxInFlight: 120_000,
    /** Long polling: an empty ReceiveMessage waits up to 20 s (SQS table). */
    longPollSeconds: 20,
    /** CloudFormation defaults of AWS::SQS::Queue (SQS table). */
    defaultVisibilityTimeoutSeconds: 30,
    /** Fair queues: a tenant is noisy above this share of in-flight messages... (fair queues). */
    fairNoisyShare: 0.1,
    /** ...and with at least this many of its own in flight (fair queues). */
    fairNoisyMinInFlight: 30,
    /** A noisy tenant is quiet again after this long without sends (fair queues). */
    fairQuietAfterSeconds: 300,
  },
  esm: {
    /** Standard queue: concurrent batches when messages appear (mapping table). */
    standardInitialConcurrency: 5,
    /** Standard queue: concurrent batches added per minute while messages remain. */
    standardScaleUpPerMinute: 300,
    /** Standard queue: most concurrent batches per mapping. */
    standardMaxConcurrency: 1_000,
    /** FIFO queue: concurrency up to the active message groups, at most this many. */
    fifoMaxConcurrency: 1_000,
    /** Provisioned mode: concurrent invokes per event poller (mapping table). */
    provisionedInvokesPerPoller: 10,
    /** Provisioned mode: concurrency added per minute (about 1,000). */
    provisionedScaleUpPerMinute: 1_000,
    /** Provisioned mode: most concurrency per mapping. */
    provisionedMaxConcurrency: 20_000,
    /** Provisioned mode: CloudFormation defaults of MinimumPollers / MaximumPollers. */
    provisionedDefaultMinimumPollers: 2,
    provisionedDefaultMaximumPollers: 200,
    /** CloudFormation defaults of AWS::Lambda::EventSourceMapping for SQS. */
    defaultBatchSize: 10,
  },
  lambda: {
    /** Account concurrency by default (adjustable) and the part that must stay unreserved. */
    accountConcurrency: 1_000,
    unreservedMinimum: 100,
    /** Function scaling: new execution environments per 10 s per function. */
    environmentsPer10Seconds: 1_000,
    /** CloudFormation defaults of AWS::Lambda::Function. */
    defaultTimeoutSeconds: 3,
    defaultMemoryMb: 128,
  },
  dynamodb: {
    /** Write units per second per partition (DynamoDB table). */
    writeUnitsPerPartitionPerSecond: 1_000,
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
