/**
 * `lanes/constructs`: the CDK constructs. Partitioned ingress (`Ingress`), backpressured worker
 * pools (`Worker`), the coordination table and singleton schedules, and Step Functions
 * workflows with their step helpers.
 *
 * @example
 * import { Worker } from 'lanes/constructs';
 * const worker = new Worker(this, 'Orders', { entry: 'functions/orders-worker.ts', maxConcurrency: 10 });
 */
export * from './alarms.ts';
export * from './autoscaling.ts';
export type { WorkerCanaryProps } from './canary.ts';
export * from './coordination-schedule.ts';
export * from './coordination-table.ts';
export * from './dashboard.ts';
export {
  DEFAULT_LOG_RETENTION,
  type LanesFunctionProps,
  type LanesObservabilityProps,
  newLanesFunction,
  type OwnedFunctionProps,
} from './function-props.ts';
export * from './ingress.ts';
export * from './nag.ts';
export * from './rule-monitoring.ts';
export * from './table-monitoring.ts';
export * from './validation.ts';
export * from './worker.ts';
export * from './workflow.ts';
export * from './workflow-steps.ts';
