/**
 * `lanes/runtime`: what a Lambda handler is built from. Handler factories for worker pools
 * (`createWorkerHandler`: parsing against the event catalogue, partial batch responses,
 * dead-lettering with a reason, per-key policies, idempotency), singleton schedules and direct
 * workflow tasks, the worker's errors, and the checked environment reader.
 *
 * @example
 * import { createWorkerHandler } from 'lanes/runtime';
 * export const handler = createWorkerHandler({ catalogue, processEvent: async (event) => record(event) });
 */
export * from '../shared/env.ts';
export * from '../shared/errors.ts';
export { type DeadLetterSink, SqsDeadLetterSink } from '../shared/worker/dead-letter.ts';
export { DELIVERY, type Delivery } from '../shared/worker/decode.ts';
export * from '../shared/worker/errors.ts';
export type { RetryDelay } from '../shared/worker/retry-delay.ts';
export * from './autoscaler-handler.ts';
export * from './direct-step-handler.ts';
export * from './schedule-handler.ts';
export * from './worker-handler.ts';
