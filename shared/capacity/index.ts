/**
 * `lanes/capacity`: the capacity planner behind `lanes plan`, and the autoscaling policy
 * (decisions from queue depth, oldest-message age and schedule floors) the `WorkerAutoscaling`
 * construct runs.
 *
 * @example
 * import { planCapacity, decideConcurrency } from 'lanes/capacity';
 * const plan = planCapacity({ ratePerSecond: 500, processingMs: 40, batchSize: 10, fifo: true, activeKeys: 50 });
 */

export * from '../scaling/errors.ts';
export * from '../scaling/floors.ts';
export * from '../scaling/policy.ts';
export * from './errors.ts';
export { AWS_LIMITS } from './limits.ts';
export * from './plan.ts';
export * from './ramp.ts';
