/**
 * How long an idempotency record is kept by default, on both paths (transactional and
 * Powertools): 14 days, 1,209,600 seconds.
 *
 * Why this number: SQS deduplicates a FIFO message only for 5 minutes, so every copy of an event
 * that arrives later (a producer retry, a replay, a delivery again after a crash) is recognised
 * only by its idempotency record. 14 days is SQS's longest message retention period, which the
 * Worker construct uses for its dead-letter queues: a message redriven from a DLQ within that
 * time, or retried by a producer at any point while a copy could still sit on a queue, finds its
 * record. An event delivered again after the record expired is applied again.
 *
 * Cost: one small item (~200 bytes) per event and worker for 14 days; TTL deletes it afterwards
 * (the expiry itself is checked in the write's condition, not left to TTL).
 */
export const DEFAULT_IDEMPOTENCY_RETENTION_SECONDS = 14 * 24 * 60 * 60;
