/**
 * Layout of the reference pipeline's results table (partition key `pk`, sort key `sk`, both
 * strings). Every item of one customer shares `pk` = the partition key:
 * - `STATE`: the per-key counter (`ordinal`), the last event counted (`lastEventId`), the last
 *   sequence applied per producer (`seq#<producer>`) and an optional `hold` reason that makes the
 *   orders worker reject the customer's orders;
 * - `EVENT#<eventId>`: the hot-path result of one order event, with the ordinal it got;
 * - `NOTIFY#<eventId>`: the cold-path notification for one order event, with `sends`, the number
 *   of times it was applied (1: the effect commits once, with its idempotency record);
 * - `PARKED#<producer>#<sequence>`: an event that arrived (over EventBridge) before its
 *   predecessor, waiting to be applied in sequence.
 */
export const RESULTS_KEYS = {
  PARTITION: 'pk',
  SORT: 'sk',
  STATE_SK: 'STATE',
  EVENT_PREFIX: 'EVENT#',
  NOTIFY_PREFIX: 'NOTIFY#',
  PARKED_PREFIX: 'PARKED#',
} as const;

/** Environment variable naming the results table inside the workers. */
export const RESULTS_TABLE_ENV = 'RESULTS_TABLE_NAME';

/**
 * Environment variable naming the coordination table that holds the workers' idempotency
 * records (`idem#orders#<eventId>`, `idem#notifications#<eventId>`).
 */
export const COORDINATION_TABLE_ENV = 'COORDINATION_TABLE_NAME';

/** The hot-path result of one order event. */
export interface OrderResultItem {
  readonly pk: string;
  readonly sk: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly orderId: string;
  readonly sequence: number;
  /** Position of this event among the key's processed events (1, 2, 3...). */
  readonly ordinal: number;
  readonly lane: number | null;
  readonly delivery: string;
  readonly eventTime: string;
  readonly processedAt: string;
  readonly latencyMs: number;
}
