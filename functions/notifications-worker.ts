import { createWorkerHandler } from '#shared/worker/handler.ts';
import { notificationsWorkerOptions, referenceWorkerDepsFromEnv } from './commons/workers.ts';

/**
 * Cold path of the reference pipeline: a notification per order event, no ordering needed,
 * exactly once per event (transactional commit with its idempotency record).
 */
export const handler = createWorkerHandler(
  notificationsWorkerOptions(referenceWorkerDepsFromEnv()),
);
