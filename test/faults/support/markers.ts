/**
 * Faults the fault worker injects, chosen by a marker in an order event's `orderId`, and the
 * delivery log it keeps. Shared by the worker (deployed) and the tests.
 */
export const FAULT_MARKERS = {
  /** Sleeps past the function timeout before applying (and ignores its abort signal). */
  SLOW: '-slow',
  /** Throws an ordinary (retryable) error on every delivery. */
  POISON: '-poison',
  /** Sleeps a while within its budget: the moment the test kills the runtime mid-batch. */
  PAUSE: '-pause',
} as const;

/** How long a `-slow` record sleeps: past the 3 s timeout of the functions that get one. */
export const SLOW_SLEEP_MS = 4_000;
/** How long a `-pause` record sleeps (shorter than its function's record budget). */
export const PAUSE_SLEEP_MS = 3_000;

/**
 * Sort key prefix of the delivery log: `SEEN#<eventId>` with `deliveries`, incremented each
 * time the worker was handed the event (so redeliveries are visible next to the effects), and
 * `lastReceiveCount`, the SQS receive count of the last of them (receives used up by throttled
 * invocations, which never reach the worker, show there).
 */
export const SEEN_PREFIX = 'SEEN#';
