import type { Logger } from '@aws-lambda-powertools/logger';
import type { Envelope } from '../events/envelope.ts';
import type { ProcessEvent } from '../worker/process-event.ts';
import { TaskTokenExpiredError, WorkflowError } from './errors.ts';
import type { WorkflowStepMessage } from './step-message.ts';
import { type StepClaimCheckOption, StepOutputs } from './step-output.ts';
import type { TaskTokenClient } from './task-token.ts';

/** What a step implementation gets besides its input. */
export interface StepContext {
  readonly step: string;
  readonly businessKey: string;
  /** How the step was dispatched: a direct Lambda task or a message on a worker queue. */
  readonly dispatch: 'direct' | 'queue';
}

/** A workflow step: plain business code, the same for direct and queue-dispatched tasks. */
export type StepFunction = (input: unknown, context: StepContext) => Promise<unknown>;

export interface StepWorkerOptions {
  /** Step implementations by step name. */
  readonly steps: Readonly<Record<string, StepFunction>>;
  readonly tokens: TaskTokenClient;
  /**
   * Heartbeat interval while a step runs; keep it a third of the task's heartbeatTimeout.
   * @default 10000
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * Claim check for outputs above its threshold; `false` for none (outputs above 256 KB then
   * fail the task with StepOutputTooLargeError).
   * @default - from CLAIM_CHECK_TABLE_NAME (CLAIM_CHECK_ENV), none when it is not set
   */
  readonly claimCheck?: StepClaimCheckOption;
}

/**
 * The record handler of a queue-dispatched step worker (plug it into `createWorkerHandler` with
 * `workflowStepCatalogue`). It first sends a heartbeat, which both tells Step Functions the step
 * was picked up and checks that the task still waits: a message whose token is dead (its task
 * timed out while queued, and the workflow retried or moved on) is dropped with a warning, not
 * run and not dead-lettered, since no redrive could ever answer it. Then it runs the named step
 * with heartbeats and answers: SendTaskSuccess with the step's output, or SendTaskFailure with
 * the step's error name, so the state machine's Retry and Catch decide (the record itself
 * succeeds). An output above the claim check's threshold is sent as a claim-check reference; one
 * that cannot be stored fails the task at once (`ClaimCheckStoreError`, or
 * `StepOutputTooLargeError` without a claim check) rather than being retried by SQS while the
 * execution waits for its heartbeat timeout. Only a failure to answer is thrown, so SQS retries
 * the message.
 *
 * @example
 * export const handler = createWorkerHandler({
 *   catalogue: workflowStepCatalogue,
 *   processEvent: createStepProcessor({ steps: { charge }, tokens: new TaskTokenClient() }),
 * });
 */
/**
 * The execution input's `correlationId`, if it has one: the steps' logs carry it as
 * `correlation_id`, like the worker that started the workflow.
 */
export function correlationIdOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || !('correlationId' in input)) return undefined;
  const value = (input as { correlationId: unknown }).correlationId;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function createStepProcessor(options: StepWorkerOptions): ProcessEvent {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
  const outputs = new StepOutputs({ claimCheck: options.claimCheck });
  return async (event: Envelope, { logger }: { logger: Logger }) => {
    const message = event.data as WorkflowStepMessage;
    const { taskToken, step, businessKey } = message;
    const correlationId = correlationIdOf(message.input);
    if (correlationId) logger.setCorrelationId(correlationId);
    const implementation = options.steps[step];
    try {
      await options.tokens.heartbeat(taskToken, step);
      if (!implementation) {
        const known = Object.keys(options.steps).join(', ');
        await options.tokens.fail(
          taskToken,
          step,
          new UnknownStepError(
            `Step ${step} has no implementation in this worker (known: ${known}); deploy a worker that has it.`,
          ),
        );
        return;
      }
      let output: unknown;
      try {
        output = await options.tokens.withHeartbeat(taskToken, step, heartbeatIntervalMs, () =>
          implementation(message.input, { step, businessKey, dispatch: 'queue' }),
        );
      } catch (error) {
        if (error instanceof TaskTokenExpiredError) throw error;
        logger.warn('Workflow step failed; reporting it to the workflow', { step, error });
        await options.tokens.fail(taskToken, step, toError(error));
        return;
      }
      let answer: unknown;
      try {
        answer = await outputs.prepare(step, output);
      } catch (error) {
        // Retrying the message would run the step again and fail the same way: fail the task.
        logger.error('Workflow step output cannot be handed over; failing the task', {
          step,
          error,
        });
        await options.tokens.fail(taskToken, step, toError(error));
        return;
      }
      await options.tokens.succeed(taskToken, step, answer);
    } catch (error) {
      if (error instanceof TaskTokenExpiredError) {
        logger.warn('Stale workflow step dropped: its task no longer waits for an answer', {
          step,
          businessKey,
          executionArn: message.executionArn,
          error,
        });
        return;
      }
      throw error;
    }
  };
}

/** The message named a step the worker does not implement. */
export class UnknownStepError extends WorkflowError {
  public constructor(message: string) {
    super(message);
    this.name = 'UnknownStepError';
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
