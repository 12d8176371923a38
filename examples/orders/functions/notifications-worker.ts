import { createWorkerHandler } from 'lanes/runtime';
import { notificationsWorkerOptions, referenceWorkerDepsFromEnv } from '../domain/workers.ts';

/**
 * Cold path of the reference pipeline: a notification per order event, no ordering needed,
 * exactly once per event (transactional commit with its idempotency record).
 */
export const handler = createWorkerHandler(
  notificationsWorkerOptions(referenceWorkerDepsFromEnv()),
);
