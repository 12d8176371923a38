import { randomUUID } from 'node:crypto';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { powertoolsIdempotency } from '../coordination/powertools-idempotency.ts';
import {
  ExecutionConflictError,
  WorkflowConfigError,
  WorkflowStartInProgressError,
} from './errors.ts';

/** Options of the guard that makes Express starts at-most-once per idempotency key. */
export interface ExpressStartGuardOptions {
  /**
   * Table of the start records: the coordination table, or any table with a string partition
   * key `pk` and TTL attribute `ttl`.
   */
  readonly tableName: string;
  /** Keeps the records of different state machines apart. @default 'workflow-start#<state machine name>' */
  readonly keyPrefix?: string;
  /**
   * How long a start is remembered: a duplicate within it starts nothing. Keep it longer than
   * the longest time a producer or queue can deliver the same event again (SQS keeps a message
   * up to 14 days; a DLQ redrive can come later still). @default 604800 (7 days)
   */
  readonly expiresAfterSeconds?: number;
  /**
   * How long a start that is under way blocks duplicates; after it, a start whose process died
   * before recording success may be tried again. Keep it above StartExecution's worst latency
   * with retries. @default 60000
   */
  readonly inProgressExpiryMs?: number;
  /** @default - a new client */
  readonly client?: DynamoDBClient;
}

/** What a guarded start reports. */
export interface GuardedStart {
  readonly executionArn: string;
  /** True for the call that started the execution; false for a duplicate (nothing started). */
  readonly started: boolean;
}

interface StartRequest {
  readonly key: string;
  readonly input: unknown;
  /** Which call this is: stored with the result, so a duplicate can tell it did not start it. */
  readonly callId: string;
}

interface StartRecord {
  readonly executionArn: string;
  /** The call that started it; undefined when StartExecution found the name taken. */
  readonly callId?: string;
}

/** What the `start` callback reports: the ARN, and whether this call started it. */
export interface StartAttempt {
  readonly executionArn: string;
  /** False when StartExecution answered that an execution of that name exists already. */
  readonly started: boolean;
}

/**
 * At most one Express execution per idempotency key. Express workflows do not deduplicate
 * execution names (Standard ones do, for 90 days), so a redelivered event would start a second
 * execution. This guard wraps the StartExecution call in Powertools idempotency on DynamoDB
 * (`powertoolsIdempotency`): the first call records "in progress", starts, and records the
 * execution ARN; a duplicate gets the recorded ARN back and starts nothing; a different input
 * under the same key is an {@link ExecutionConflictError}; a duplicate that arrives while the
 * first start is still under way gets {@link WorkflowStartInProgressError} (retry it later).
 *
 * The one gap left is inherent to a side effect outside DynamoDB: a process that dies after
 * StartExecution returned and before the record is completed leaves an in-progress record,
 * and a retry after `inProgressExpiryMs` starts again. Express executions that must never
 * run twice should also make their own effects idempotent.
 *
 * @example
 * const guard = new ExpressStartGuard(stateMachineArn, { tableName: requireEnv('COORDINATION_TABLE_NAME') });
 * const { started } = await guard.start(order.orderId, input, name, async () => ({
 *   executionArn: (await sfn.send(startCommand(name))).executionArn ?? '',
 *   started: true,
 * }));
 */
export class ExpressStartGuard {
  readonly #idempotentStart: (
    request: StartRequest,
    start: () => Promise<StartAttempt>,
  ) => Promise<StartRecord>;

  public constructor(stateMachineArn: string, options: ExpressStartGuardOptions) {
    const inProgressExpiryMs = options.inProgressExpiryMs ?? 60_000;
    if (!Number.isInteger(inProgressExpiryMs) || inProgressExpiryMs < 1_000) {
      throw new WorkflowConfigError(
        'express.inProgressExpiryMs',
        inProgressExpiryMs,
        'must be an integer of at least 1000 ms, above the worst StartExecution latency',
      );
    }
    const machineName = stateMachineArn.split(':').pop() ?? stateMachineArn;
    const idempotency = powertoolsIdempotency({
      tableName: options.tableName,
      keyPrefix: options.keyPrefix ?? `workflow-start#${machineName}`,
      keyPath: 'key',
      payloadPath: 'input',
      expiresAfterSeconds: options.expiresAfterSeconds ?? 7 * 86_400,
      ...(options.client ? { client: options.client } : {}),
    });
    // Not a Lambda handler: Powertools takes the in-progress window from a registered context.
    idempotency.config.registerLambdaContext({
      getRemainingTimeInMillis: () => inProgressExpiryMs,
    } as Context);
    this.#idempotentStart = makeIdempotent(
      async (request: StartRequest, start: () => Promise<StartAttempt>): Promise<StartRecord> => {
        const attempt = await start();
        return {
          executionArn: attempt.executionArn,
          ...(attempt.started ? { callId: request.callId } : {}),
        };
      },
      idempotency,
    );
  }

  /**
   * Runs `start` (which must call StartExecution) unless an execution was already started for
   * `key`.
   * @param executionName for error messages
   */
  public async start(
    key: string,
    input: unknown,
    executionName: string,
    start: () => Promise<StartAttempt>,
  ): Promise<GuardedStart> {
    const callId = randomUUID();
    try {
      const record = await this.#idempotentStart({ key, input, callId }, start);
      return { executionArn: record.executionArn, started: record.callId === callId };
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        const existing = error.existingRecord?.getResponse() as StartRecord | undefined;
        throw new ExecutionConflictError(
          executionName,
          existing?.executionArn ?? '(an Express execution)',
          { cause: error },
        );
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new WorkflowStartInProgressError(executionName, { cause: error });
      }
      throw error;
    }
  }
}
