import { z } from 'zod';
import { defineEvent, EventCatalogue } from '../events/catalogue.ts';

/**
 * Event type of a queue-dispatched workflow step. The state machine sends it in a lanes
 * envelope, so the step travels through the same worker runtime (validation, partial batches,
 * dead-lettering) and the same per-key FIFO partitioning as any other event.
 */
export const WORKFLOW_STEP_EVENT_TYPE = 'workflow.step';

export const WorkflowStepSchema = z.object({
  /** The `.waitForTaskToken` token to answer. */
  taskToken: z.string().min(1),
  /** Step name; the worker looks its implementation up by it. */
  step: z.string().min(1).max(80),
  /** Business key of the workflow: the FIFO message group, so one key's steps stay in order. */
  businessKey: z.string().min(1).max(128),
  /** Execution that waits for the answer (for logs and correlation). */
  executionArn: z.string().min(1),
  /** The step's input (the workflow state, small by design). */
  input: z.unknown(),
});
export type WorkflowStepMessage = z.infer<typeof WorkflowStepSchema>;

/** Catalogue a queue-dispatched step worker accepts. */
export const workflowStepCatalogue = new EventCatalogue([
  defineEvent({
    type: WORKFLOW_STEP_EVENT_TYPE,
    schema: WorkflowStepSchema,
    partitionKey: (data) => data.businessKey,
  }),
]);
