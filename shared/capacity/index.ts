/**
 * `lanes/capacity`: the capacity planner behind `lanes plan`.
 *
 * @example
 * import { planCapacity } from 'lanes/capacity';
 * const plan = planCapacity({ ratePerSecond: 500, processingMs: 40, batchSize: 10, fifo: true, activeKeys: 50 });
 */

export * from './errors.ts';
export { AWS_LIMITS } from './limits.ts';
export * from './plan.ts';
export * from './ramp.ts';
