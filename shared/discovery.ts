import { z } from 'zod';

/**
 * What the lanes constructs publish about themselves as stack outputs, so the `lanes` CLI finds
 * the workers, workflows, ingresses and schedules of any app built with them (not a hard-coded list): each construct
 * adds one output whose description is {@link DESCRIPTOR_DESCRIPTION} and whose value is a JSON
 * descriptor. One definition for both sides: the constructs write it, the CLI reads it.
 */
export const DESCRIPTOR_DESCRIPTION = 'lanes:descriptor';

export const WorkerDescriptorSchema = z.object({
  kind: z.literal('worker'),
  name: z.string(),
  functionName: z.string(),
  queueUrl: z.string(),
  deadLetterQueueUrl: z.string(),
  /** Canary workers: the alias their mappings invoke. */
  alias: z.string().optional(),
  /** Canary workers: CodeDeploy's application and deployment group (AWS). */
  codeDeployApplication: z.string().optional(),
  deploymentGroup: z.string().optional(),
});

export const WorkflowDescriptorSchema = z.object({
  kind: z.literal('workflow'),
  name: z.string(),
  stateMachineArn: z.string(),
});

/** An Ingress in an EventBridge mode: its bus and the DLQ of its rule targets. */
export const IngressDescriptorSchema = z.object({
  kind: z.literal('ingress'),
  name: z.string(),
  eventBusName: z.string(),
  /** Events EventBridge could not deliver to a group's queue, with the error as attributes. */
  deadLetterQueueUrl: z.string(),
  groups: z.array(z.object({ name: z.string(), queueUrl: z.string() })),
});

/** A singleton schedule: its function and the DLQ of its rule target. */
export const ScheduleDescriptorSchema = z.object({
  kind: z.literal('schedule'),
  name: z.string(),
  functionName: z.string(),
  deadLetterQueueUrl: z.string(),
});

export const DescriptorSchema = z.discriminatedUnion('kind', [
  WorkerDescriptorSchema,
  WorkflowDescriptorSchema,
  IngressDescriptorSchema,
  ScheduleDescriptorSchema,
]);

export type WorkerDescriptor = z.infer<typeof WorkerDescriptorSchema>;
export type WorkflowDescriptor = z.infer<typeof WorkflowDescriptorSchema>;
export type IngressDescriptor = z.infer<typeof IngressDescriptorSchema>;
export type ScheduleDescriptor = z.infer<typeof ScheduleDescriptorSchema>;
export type Descriptor = z.infer<typeof DescriptorSchema>;
