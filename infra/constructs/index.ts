export * from './coordination-schedule.ts';
export * from './coordination-table.ts';
export * from './ingress.ts';
export * from './worker.ts';
export * from './worker-validation.ts';
export * from './workflow.ts';
export * from './workflow-order-fulfilment.ts';
export * from './workflow-steps.ts';
