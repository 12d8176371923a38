import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { z } from 'zod';
import {
  ExecutionConflictError,
  PayloadTooLargeError,
  WorkflowConfigError,
  WorkflowInputError,
} from './errors.ts';
import { executionArnFor, executionNameFor } from './execution-name.ts';
import { ExpressStartGuard, type ExpressStartGuardOptions } from './express-start-guard.ts';
import { PAYLOAD_LIMITS } from './payload.ts';

/** How a start request ended. */
export const START_STATUS = {
  /** StartExecution accepted it (a new execution, or the same still-running one). */
  STARTED: 'started',
  /** An execution with this name and the same input exists already: nothing new was started. */
  DUPLICATE: 'duplicate',
} as const;
export type StartStatus = (typeof START_STATUS)[keyof typeof START_STATUS];

export interface StartOutcome {
  readonly status: StartStatus;
  readonly executionName: string;
  readonly executionArn: string;
}

export type WorkflowStarterOptions<TInput> = {
  readonly stateMachineArn: string;
  /** Validates (and may normalise) the input before it is sized and sent. */
  readonly schema: z.ZodType<TInput>;
  /**
   * Largest execution input accepted, in bytes. Keep it well below the 256 KB state limit so
   * step results added to the state never push it over; put large fields behind a claim check.
   * @default 65536
   */
  readonly maxInputBytes?: number;
  /**
   * For an Express state machine: where the start guard records starts, so each idempotency key
   * starts at most one execution (Express does not deduplicate names). Give it for every
   * Express machine; Standard machines do not need it.
   * @default - no guard (right for Standard machines only)
   */
  readonly express?: ExpressStartGuardOptions;
} & (
  | { readonly client: SFNClient; readonly clientConfig?: never }
  | {
      readonly client?: never;
      /** @default - {} (region and endpoint from the environment) */
      readonly clientConfig?: ConstructorParameters<typeof SFNClient>[0];
    }
);

/**
 * Starts one Step Functions execution per idempotency key. The execution name is derived from
 * the key ({@link executionNameFor}), so a redelivered or duplicated event cannot start a second
 * execution: Standard workflows return the running execution for the same name and input, and
 * `ExecutionAlreadyExists` for a closed one is checked against the stored input and reported as
 * a duplicate (same input) or an {@link ExecutionConflictError} (different input).
 *
 * Express workflows do not deduplicate names: give the `express` option, and starts go through
 * an {@link ExpressStartGuard} (Powertools idempotency on DynamoDB) that starts at most one
 * execution per key and reports the others as duplicates.
 *
 * @example
 * const starter = new WorkflowStarter({ stateMachineArn, schema: FulfilmentInputSchema });
 * const { status } = await starter.start(order.orderId, input, `event ${event.id}`);
 */
export class WorkflowStarter<TInput> {
  public readonly stateMachineArn: string;
  public readonly maxInputBytes: number;
  readonly #client: SFNClient;
  readonly #schema: z.ZodType<TInput>;
  readonly #expressGuard: ExpressStartGuard | undefined;

  public constructor(options: WorkflowStarterOptions<TInput>) {
    this.stateMachineArn = options.stateMachineArn;
    this.maxInputBytes = options.maxInputBytes ?? 65_536;
    if (
      !Number.isInteger(this.maxInputBytes) ||
      this.maxInputBytes < 1 ||
      this.maxInputBytes > PAYLOAD_LIMITS.STATE_BYTES
    ) {
      throw new WorkflowConfigError(
        'maxInputBytes',
        this.maxInputBytes,
        `must be an integer between 1 and ${PAYLOAD_LIMITS.STATE_BYTES} (the Step Functions state limit)`,
      );
    }
    this.#client = options.client ?? new SFNClient(options.clientConfig ?? {});
    this.#schema = options.schema;
    this.#expressGuard = options.express
      ? new ExpressStartGuard(this.stateMachineArn, options.express)
      : undefined;
  }

  /**
   * Validates and sizes `input`, then starts the execution named after `idempotencyKey`.
   * @param source names the origin in error messages, e.g. `event 0b6f... (orders.created)`
   * @throws WorkflowInputError naming `source` and every failing field
   * @throws PayloadTooLargeError when the input is above `maxInputBytes`
   * @throws ExecutionConflictError when the key was already used with a different input
   * @throws WorkflowStartInProgressError (Express) when a start for the key is under way
   */
  public async start(
    idempotencyKey: string,
    input: unknown,
    source: string,
  ): Promise<StartOutcome> {
    const valid = this.validate(input, source);
    const body = JSON.stringify(valid);
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > this.maxInputBytes) {
      throw new PayloadTooLargeError(`Workflow input from ${source}`, bytes, this.maxInputBytes);
    }
    const executionName = executionNameFor(idempotencyKey);
    if (this.#expressGuard) {
      const guarded = await this.#expressGuard.start(
        idempotencyKey,
        valid,
        executionName,
        async () => {
          try {
            return { executionArn: await this.#startExecution(executionName, body), started: true };
          } catch (error) {
            // AWS lets Express names repeat; LocalStack does not. Either way nothing new started.
            if (!(error instanceof ExecutionAlreadyExists)) throw error;
            return {
              executionArn: executionArnFor(this.stateMachineArn, executionName),
              started: false,
            };
          }
        },
      );
      return {
        status: guarded.started ? START_STATUS.STARTED : START_STATUS.DUPLICATE,
        executionName,
        executionArn: guarded.executionArn,
      };
    }
    try {
      const executionArn = await this.#startExecution(executionName, body);
      return { status: START_STATUS.STARTED, executionName, executionArn };
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
      return this.#checkExisting(executionName, body, error);
    }
  }

  async #startExecution(executionName: string, body: string): Promise<string> {
    const { executionArn } = await this.#client.send(
      new StartExecutionCommand({
        stateMachineArn: this.stateMachineArn,
        name: executionName,
        input: body,
      }),
    );
    return executionArn ?? executionArnFor(this.stateMachineArn, executionName);
  }

  /** Validates `input` against the schema; exposed so callers can check before doing work. */
  public validate(input: unknown, source: string): TInput {
    const result = this.#schema.safeParse(input);
    if (!result.success) {
      throw new WorkflowInputError(
        source,
        result.error.issues.map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.message,
        })),
        { cause: result.error },
      );
    }
    return result.data;
  }

  async #checkExisting(executionName: string, body: string, cause: Error): Promise<StartOutcome> {
    const executionArn = executionArnFor(this.stateMachineArn, executionName);
    const existing = await this.#client.send(new DescribeExecutionCommand({ executionArn }));
    if (existing.input !== undefined && sameJson(existing.input, body)) {
      return { status: START_STATUS.DUPLICATE, executionName, executionArn };
    }
    throw new ExecutionConflictError(executionName, executionArn, { cause });
  }
}

/** Compares two JSON documents by value (Step Functions may re-serialise the stored input). */
function sameJson(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
