import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { executionArnFor, executionNameFor } from './execution-name.ts';

/** One state the execution went through, folded from its history events. */
export interface StepRecord {
  readonly name: string;
  readonly type: string;
  readonly status: 'succeeded' | 'failed' | 'running';
  readonly enteredAt: Date | undefined;
  readonly exitedAt: Date | undefined;
  /** Attempts of the state's task (1 without retries). */
  readonly attempts: number;
  readonly error?: string;
  readonly cause?: string;
}

/** A workflow's status and step history, found by business key. */
export interface WorkflowReport {
  readonly executionArn: string;
  readonly executionName: string;
  readonly status: string;
  readonly startDate: Date | undefined;
  readonly stopDate: Date | undefined;
  readonly error?: string;
  readonly cause?: string;
  readonly steps: readonly StepRecord[];
}

const ATTEMPT_EVENTS = new Set(['TaskScheduled', 'LambdaFunctionScheduled']);

function failureOf(event: HistoryEvent): { error?: string; cause?: string } | undefined {
  const details =
    event.taskFailedEventDetails ??
    event.taskTimedOutEventDetails ??
    event.lambdaFunctionFailedEventDetails ??
    event.lambdaFunctionTimedOutEventDetails;
  return details ? { error: details.error, cause: details.cause } : undefined;
}

/**
 * Folds execution history events into one record per state entered, in order: its status, its
 * attempts (retries included) and, for a failed task, the last error and cause.
 *
 * @example
 * const steps = foldHistory(events).map((s) => `${s.name}: ${s.status}`);
 */
export function foldHistory(events: readonly HistoryEvent[]): StepRecord[] {
  type Open = {
    name: string;
    type: string;
    enteredAt: Date | undefined;
    exitedAt?: Date;
    attempts: number;
    error?: string;
    cause?: string;
    exited: boolean;
  };
  const steps: Open[] = [];
  let current: Open | undefined;
  for (const event of events) {
    const type = event.type ?? '';
    if (event.stateEnteredEventDetails && type.endsWith('StateEntered')) {
      current = {
        name: event.stateEnteredEventDetails.name ?? '?',
        type: type.replace('StateEntered', ''),
        enteredAt: event.timestamp,
        attempts: 0,
        exited: false,
      };
      steps.push(current);
      continue;
    }
    if (!current) continue;
    if (ATTEMPT_EVENTS.has(type)) current.attempts += 1;
    const failure = failureOf(event);
    if (failure) {
      current.error = failure.error;
      current.cause = failure.cause;
    } else if (type === 'TaskSucceeded' || type === 'LambdaFunctionSucceeded') {
      current.error = undefined;
      current.cause = undefined;
    }
    if (event.stateExitedEventDetails && type.endsWith('StateExited')) {
      current.exited = true;
      current.exitedAt = event.timestamp;
    }
  }
  return steps.map((step) => ({
    name: step.name,
    type: step.type,
    status:
      step.error !== undefined || step.type === 'Fail'
        ? 'failed'
        : step.exited
          ? 'succeeded'
          : 'running',
    enteredAt: step.enteredAt,
    exitedAt: step.exitedAt,
    attempts: Math.max(step.attempts, 1),
    ...(step.error !== undefined ? { error: step.error, cause: step.cause } : {}),
  }));
}

export type WorkflowHistoryOptions =
  | { readonly client: SFNClient; readonly clientConfig?: never }
  | {
      readonly client?: never;
      /** @default - {} (region and endpoint from the environment) */
      readonly clientConfig?: ConstructorParameters<typeof SFNClient>[0];
    };

/**
 * Reads a workflow's status and step history by business key: the execution name is derived
 * from the key exactly as the starter derives it, so no listing or index is needed.
 *
 * @example
 * const report = await new WorkflowHistory().find(stateMachineArn, 'order-42');
 * console.log(report?.status, report?.steps.map((s) => s.name));
 */
export class WorkflowHistory {
  readonly #client: SFNClient;

  public constructor(options: WorkflowHistoryOptions = {}) {
    this.#client = options.client ?? new SFNClient(options.clientConfig ?? {});
  }

  /** The report, or `undefined` when the state machine has no execution for the key. */
  public async find(
    stateMachineArn: string,
    businessKey: string,
  ): Promise<WorkflowReport | undefined> {
    const executionName = executionNameFor(businessKey);
    const executionArn = executionArnFor(stateMachineArn, executionName);
    let execution: DescribeExecutionCommandOutput;
    try {
      execution = await this.#client.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw error;
    }
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return {
      executionArn,
      executionName,
      status: execution.status ?? 'UNKNOWN',
      startDate: execution.startDate,
      stopDate: execution.stopDate,
      ...(execution.error !== undefined ? { error: execution.error, cause: execution.cause } : {}),
      steps: foldHistory(events),
    };
  }
}
