/**
 * `lanes/workflows`: the runtime side of Step Functions workflows. Idempotent starts
 * (`WorkflowStarter`), claim checks for large payloads, queue-dispatched steps with task tokens
 * and heartbeats, and the step history reader behind `lanes workflow show`.
 *
 * @example
 * import { WorkflowStarter } from 'lanes/workflows';
 * const starter = new WorkflowStarter({ stateMachineArn, schema: InputSchema });
 */
export * from './claim-check.ts';
export * from './dynamodb-claim-check-store.ts';
export * from './errors.ts';
export * from './execution-name.ts';
export * from './express-start-guard.ts';
export * from './history.ts';
export * from './payload.ts';
export * from './starter.ts';
export * from './step-message.ts';
export * from './step-output.ts';
export * from './step-worker.ts';
export * from './task-token.ts';
