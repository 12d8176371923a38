/**
 * Names of the metrics the lanes runtime emits (CloudWatch embedded metric format, through
 * Powertools Metrics) and the constructs alarm on and chart: one definition for both sides, kept
 * free of runtime dependencies so CDK code can import it.
 */

/** Namespace of every lanes metric unless `POWERTOOLS_METRICS_NAMESPACE` says otherwise. */
export const LANES_METRICS_NAMESPACE = 'lanes';

/** Powertools' environment variables the constructs set so alarms and emitters agree. */
export const POWERTOOLS_ENV = {
  /** The `service` dimension of every metric, and the logger's service. */
  SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
  METRICS_NAMESPACE: 'POWERTOOLS_METRICS_NAMESPACE',
  /** `false` turns the Powertools tracer off (the constructs' `tracing: false`). */
  TRACE_ENABLED: 'POWERTOOLS_TRACE_ENABLED',
} as const;

/** The dimension Powertools Metrics adds to every metric: the service name. */
export const SERVICE_DIMENSION = 'service';

/** Metric names the worker runtime emits (namespace `lanes` unless overridden). */
export const WORKER_METRICS = {
  PROCESSED: 'EventsProcessed',
  FAILED: 'EventsFailed',
  DEAD_LETTERED: 'EventsDeadLettered',
  END_TO_END_LATENCY: 'EndToEndLatency',
  /** The event's key was busy under a `skip` policy: acknowledged without running. */
  SKIPPED_KEY_BUSY: 'EventsSkippedKeyBusy',
  /** The event's key was busy under a `queue`/`limit` policy: postponed and retried. */
  POSTPONED_KEY_BUSY: 'EventsPostponedKeyBusy',
  /** The event ran past its time budget (or the invocation's end) and was abandoned. */
  TIMED_OUT: 'EventsTimedOut',
  /** The event was not started: too little time was left in the invocation. */
  DEFERRED: 'EventsDeferred',
  /** The event was already applied (transactional path): acknowledged without a second effect. */
  DUPLICATE: 'EventsDuplicate',
} as const;

/** Metric names the schedule runtime emits. */
export const SCHEDULE_METRICS = {
  /**
   * One per trigger that was handled (its partitions ran, were already done, or were skipped
   * under the overlap policy): the schedule's heartbeat. A refused or failed trigger emits none.
   */
  HEARTBEAT: 'ScheduleHeartbeat',
} as const;
