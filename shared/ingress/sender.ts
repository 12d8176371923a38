import {
  type Destination,
  type EntryOutcome,
  MAX_BATCH_ENTRIES,
  type OutgoingEvent,
} from './destinations.ts';
import { DeliveryError } from './errors.ts';
import { backoffDelayMs, type RetryPolicy } from './retry.ts';

/** One event to deliver to one destination. */
export interface Delivery {
  readonly event: OutgoingEvent;
  /** Ordering key: deliveries with the same key are sent one after another, in array order. */
  readonly key: string;
  readonly bytes: number;
}

export type DeliveryResult =
  | { readonly ok: true; readonly attempts: number }
  | { readonly ok: false; readonly attempts: number; readonly error: DeliveryError };

export interface SendOptions {
  /** Batches in flight at once on this destination. */
  readonly concurrency: number;
  readonly maxBatchBytes: number;
  readonly retry: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Sends deliveries to one destination in batches of up to 10, keeping per-key order:
 * - each key is served by one sender lane (keys spread round-robin over `concurrency` lanes);
 * - a batch holds at most one event per key, and a lane sends its next batch only when the
 *   previous one is settled, retries included. So an event is never overtaken by a later event
 *   of its key, even when only some entries of a batch fail and are retried.
 * Only the failed entries are retried, with exponential backoff and jitter, while retryable.
 *
 * @returns one result per delivery, same order as `deliveries`
 */
export async function sendOrdered(
  destination: Destination,
  deliveries: readonly Delivery[],
  options: SendOptions,
): Promise<DeliveryResult[]> {
  const results: DeliveryResult[] = new Array(deliveries.length);
  const queues = new Map<string, number[]>();
  deliveries.forEach((delivery, index) => {
    const queue = queues.get(delivery.key);
    if (queue) queue.push(index);
    else queues.set(delivery.key, [index]);
  });
  const laneCount = Math.max(1, Math.min(options.concurrency, queues.size));
  const lanes: number[][][] = Array.from({ length: laneCount }, () => []);
  [...queues.values()].forEach((queue, position) => {
    lanes[position % laneCount]?.push(queue);
  });

  const runLane = async (keyQueues: number[][]): Promise<void> => {
    let cursor = 0;
    while (keyQueues.some((queue) => queue.length > 0)) {
      const batch: number[] = [];
      let bytes = 0;
      // Visit keys starting after the last one served, so no key starves.
      for (let step = 0; step < keyQueues.length && batch.length < MAX_BATCH_ENTRIES; step++) {
        const queue = keyQueues[(cursor + step) % keyQueues.length];
        const head = queue?.[0];
        if (queue === undefined || head === undefined) continue;
        const size = deliveries[head]?.bytes ?? 0;
        if (batch.length > 0 && bytes + size > options.maxBatchBytes) continue;
        batch.push(head);
        bytes += size;
        queue.shift();
      }
      cursor = (cursor + 1) % keyQueues.length;
      const settled = await sendWithRetry(
        destination,
        batch.map((index) => deliveries[index] as Delivery),
        options,
      );
      batch.forEach((index, position) => {
        results[index] = settled[position] as DeliveryResult;
      });
    }
  };
  await Promise.all(lanes.map(runLane));
  return results;
}

/** Sends one batch, retrying only the entries that failed for a retryable reason. */
export async function sendWithRetry(
  destination: Destination,
  batch: readonly Delivery[],
  options: Pick<SendOptions, 'retry' | 'sleep' | 'random'>,
): Promise<DeliveryResult[]> {
  const results: DeliveryResult[] = new Array(batch.length);
  let pending = batch.map((_, position) => position);
  for (let attempt = 1; pending.length > 0; attempt++) {
    let outcomes: EntryOutcome[];
    try {
      outcomes = await destination.sendBatch(
        pending.map((position) => (batch[position] as Delivery).event),
      );
    } catch (error) {
      // The whole call failed (network, throttling after the SDK's own retries): every entry
      // in it failed, and may be retried.
      const err = error as Error;
      outcomes = pending.map(() => ({
        ok: false,
        retryable: true,
        code: err.name || 'Error',
        message: err.message,
      }));
    }
    const retry: number[] = [];
    outcomes.forEach((outcome, i) => {
      const position = pending[i] as number;
      if (outcome.ok) {
        results[position] = { ok: true, attempts: attempt };
      } else if (outcome.retryable && attempt < options.retry.maxAttempts) {
        retry.push(position);
      } else {
        results[position] = {
          ok: false,
          attempts: attempt,
          error: new DeliveryError(
            (batch[position] as Delivery).event.ref,
            destination.name,
            outcome.code,
            outcome.message,
            attempt,
          ),
        };
      }
    });
    pending = retry;
    if (pending.length > 0)
      await options.sleep(backoffDelayMs(attempt, options.retry, options.random));
  }
  return results;
}
