export * from './workflow.ts';
export * from './workflow-order-fulfilment.ts';
export * from './workflow-steps.ts';
