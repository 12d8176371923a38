/**
 * Environment variables the Worker construct sets and the worker runtime reads: one definition
 * for both sides (kept free of runtime dependencies so CDK code can import it).
 */
export const WORKER_ENV = {
  /** URL of the worker's dead-letter queue: the runtime dead-letters records there, with a reason. */
  DLQ_URL: 'LANES_DLQ_URL',
  /** The source queue's maxReceiveCount: on that receive the runtime dead-letters a failing record itself. */
  MAX_RECEIVE_COUNT: 'LANES_MAX_RECEIVE_COUNT',
  /** The longest time one record may take, in milliseconds, below the function timeout. */
  RECORD_BUDGET_MS: 'LANES_RECORD_BUDGET_MS',
} as const;
