/**
 * `lanes/capacity`: the capacity planner behind `lanes plan`.
 *
 * @example
 * import { planCapacity } from 'lanes/capacity';
 * const plan = planCapacity({ ratePerSecond: 500, processingMs: 40, fifo: true, keys: 50 });
 */

export * from './errors.ts';
export * from './plan.ts';
