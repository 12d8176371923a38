import { createWorkerHandler } from 'lanes/runtime';
import { ordersWorkerOptions, referenceWorkerDepsFromEnv } from '../domain/workers.ts';

/**
 * Hot path of the reference pipeline: orders, partitioned by customer, in order per customer,
 * each event's effect applied exactly once (transactional commit with its idempotency record).
 */
export const handler = createWorkerHandler(ordersWorkerOptions(referenceWorkerDepsFromEnv()));
