import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { PayloadTooLargeError, TaskTokenExpiredError, WorkflowConfigError } from './errors.ts';
import { jsonByteSize, PAYLOAD_LIMITS } from './payload.ts';

/** Field limits of SendTaskFailure (AWS API reference). */
export const TASK_FAILURE_LIMITS = { ERROR_CHARS: 256, CAUSE_CHARS: 32_768 } as const;

export type TaskTokenClientOptions =
  | { readonly client: SFNClient; readonly clientConfig?: never }
  | {
      readonly client?: never;
      /** @default - {} (region and endpoint from the environment) */
      readonly clientConfig?: ConstructorParameters<typeof SFNClient>[0];
    };

function isDeadToken(error: unknown): boolean {
  return (
    error instanceof TaskTimedOut ||
    error instanceof InvalidToken ||
    error instanceof TaskDoesNotExist
  );
}

/**
 * Answers `.waitForTaskToken` tasks: success with a (small) output, failure with the error's
 * name and message (so the state machine's Retry and Catch can match the name), and heartbeats
 * while a long step runs. A token that is no longer valid becomes a TaskTokenExpiredError.
 *
 * @example
 * const tokens = new TaskTokenClient();
 * const output = await tokens.withHeartbeat(token, 'charge', 10_000, () => charge(input));
 * await tokens.succeed(token, 'charge', output);
 */
export class TaskTokenClient {
  readonly #client: SFNClient;

  public constructor(options: TaskTokenClientOptions = {}) {
    this.#client = options.client ?? new SFNClient(options.clientConfig ?? {});
  }

  /** Completes the task with `output` (checked against the 256 KB state limit). */
  public async succeed(taskToken: string, step: string, output: unknown): Promise<void> {
    const bytes = jsonByteSize(output ?? {});
    if (bytes > PAYLOAD_LIMITS.STATE_BYTES) {
      throw new PayloadTooLargeError(`Output of step ${step}`, bytes, PAYLOAD_LIMITS.STATE_BYTES);
    }
    await this.#send(
      step,
      new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? {}) }),
    );
  }

  /** Fails the task; `error.name` becomes the Step Functions error name, the message its cause. */
  public async fail(taskToken: string, step: string, error: Error): Promise<void> {
    await this.#send(
      step,
      new SendTaskFailureCommand({
        taskToken,
        error: (error.name || 'Error').slice(0, TASK_FAILURE_LIMITS.ERROR_CHARS),
        cause: error.message.slice(0, TASK_FAILURE_LIMITS.CAUSE_CHARS),
      }),
    );
  }

  /** Tells Step Functions the task is alive (resets its heartbeat timer). */
  public async heartbeat(taskToken: string, step: string): Promise<void> {
    await this.#send(step, new SendTaskHeartbeatCommand({ taskToken }));
  }

  /**
   * Runs `work`, sending a heartbeat every `intervalMs` until it settles. Pick an interval well
   * below the task's heartbeatTimeout (a third of it, say). A heartbeat that finds the token
   * dead stops the heartbeats and is rethrown after `work` ends, as the workflow moved on.
   */
  public async withHeartbeat<T>(
    taskToken: string,
    step: string,
    intervalMs: number,
    work: () => Promise<T>,
  ): Promise<T> {
    if (!Number.isFinite(intervalMs) || intervalMs < 100) {
      throw new WorkflowConfigError('intervalMs', intervalMs, 'must be at least 100 ms');
    }
    let heartbeatError: unknown;
    let pending: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      pending = this.heartbeat(taskToken, step).catch((error: unknown) => {
        heartbeatError ??= error;
        clearInterval(timer);
      });
    }, intervalMs);
    try {
      const result = await work();
      await pending;
      if (heartbeatError instanceof TaskTokenExpiredError) throw heartbeatError;
      return result;
    } finally {
      clearInterval(timer);
    }
  }

  async #send(
    step: string,
    command: SendTaskSuccessCommand | SendTaskFailureCommand | SendTaskHeartbeatCommand,
  ): Promise<void> {
    try {
      // The union of commands has no common `send` overload; each is a valid SFN command.
      await this.#client.send(command as SendTaskHeartbeatCommand);
    } catch (error) {
      if (isDeadToken(error)) throw new TaskTokenExpiredError(step, { cause: error });
      throw error;
    }
  }
}
