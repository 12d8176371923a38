import { createWorkerHandler } from '#shared/worker/handler.ts';
import { ordersWorkerOptions, referenceWorkerDepsFromEnv } from './commons/workers.ts';

/**
 * Hot path of the reference pipeline: orders, partitioned by customer, in order per customer,
 * each event's effect applied exactly once (transactional commit with its idempotency record).
 */
export const handler = createWorkerHandler(ordersWorkerOptions(referenceWorkerDepsFromEnv()));
