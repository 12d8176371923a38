/**
 * The AWS numbers the capacity planner checks a plan against. Every one is in
 * docs/aws-limits.md (the table named in the comment), and a unit test reads that file to keep
 * the two in step: change a number there first. The simulator's numbers
 * (`shared/simulate/limits.ts`) come from the same document.
 */
export const AWS_LIMITS = {
  /** FIFO: one batch in flight per message group (SQS table). */
  fifoInFlightPerGroup: 1,
  /** FIFO default mode: API calls per second per action, send, receive and delete (SQS table). */
  fifoCallsPerSecond: 300,
  /** FIFO high-throughput mode: API calls per second per action, by Region (SQS table). */
  fifoHighThroughputCallsPerSecond: {
    'us-east-1': 70_000,
    'us-west-2': 70_000,
    'eu-west-1': 70_000,
    'us-east-2': 19_000,
    'eu-central-1': 19_000,
  } as Readonly<Record<string, number>>,
  /** Messages per SendMessageBatch, ReceiveMessage and DeleteMessageBatch call (SQS table). */
  messagesPerCall: 10,
  /** In-flight messages per queue, standard and FIFO (SQS table). */
  inFlightPerQueue: 120_000,
  /** Fair queues: a tenant is noisy above this share of the in-flight messages... (SQS, fair queues). */
  fairNoisyShare: 0.1,
  /** ...with at least this many of its own in flight (SQS, fair queues). */
  fairNoisyMinInFlight: 30,
  /** Visibility timeout: at most 12 hours (SQS table). */
  maxVisibilityTimeoutSeconds: 43_200,
  /** Function timeout: 1 s to 900 s (Lambda table). */
  maxFunctionTimeoutSeconds: 900,
  /** Event source mapping ScalingConfig.MaximumConcurrency range (Lambda table). */
  maxConcurrencyMin: 2,
  maxConcurrencyMax: 1_000,
  /** Standard-queue scaling: concurrent batches at start, added per minute (Lambda table). */
  standardInitialConcurrency: 5,
  standardScaleUpPerMinute: 300,
  /** Provisioned mode: invokes per poller, concurrency added per minute, most concurrency (Lambda table). */
  invokesPerPoller: 10,
  provisionedScaleUpPerMinute: 1_000,
  provisionedMaxConcurrency: 20_000,
  /** Provisioned mode: MinimumPollers 2..200, MaximumPollers up to 2,000 (Lambda table). */
  minimumPollersMax: 200,
  maximumPollersMax: 2_000,
  /** Default account concurrency (adjustable), of which 100 must stay unreserved (Lambda table). */
  accountConcurrency: 1_000,
  unreservedMinimum: 100,
  /** EventBridge PutEvents: entries per call; calls per second in us-east-1, adjustable (EventBridge table). */
  putEventsEntriesPerCall: 10,
  putEventsCallsPerSecond: 10_000,
  /** Lanes of one Ingress: the construct's ceiling (`INGRESS_LIMITS.MAX_LANES`); rules per bus 300 (EventBridge table). */
  maxLanes: 100,
  rulesPerBus: 300,
  /** DynamoDB write units per second per partition (DynamoDB table). */
  dynamoWritesPerPartitionPerSecond: 1_000,
} as const;
