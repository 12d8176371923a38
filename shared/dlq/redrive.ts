import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from './attributes.ts';
import { DlqError, RedriveError } from './errors.ts';

export const REDRIVE_STRATEGY = {
  /** StartMessageMoveTask, falling back to the client-side move when the endpoint lacks it. */
  AUTO: 'auto',
  MOVE_TASK: 'move-task',
  CLIENT: 'client',
} as const;
export type RedriveStrategy = (typeof REDRIVE_STRATEGY)[keyof typeof REDRIVE_STRATEGY];

export interface RedriveOptions {
  readonly deadLetterQueueUrl: string;
  /** Where the messages go back to: the worker's source queue. */
  readonly destinationQueueUrl: string;
  /** @default 'auto' */
  readonly strategy?: RedriveStrategy;
  /** @default - a new SQSClient */
  readonly client?: SQSClient;
  /** Give up waiting for a move task after this long. @default 120000 */
  readonly timeoutMs?: number;
  /** @default 200 */
  readonly pollIntervalMs?: number;
}

export interface RedriveReport {
  readonly strategy: 'move-task' | 'client';
  readonly moved: number;
  /** Why the move task was not used (auto strategy only). */
  readonly fallbackReason?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new DlqError(`Queue ${queueUrl} returned no QueueArn; check the URL.`);
  return arn;
}

/** Errors that mean "this endpoint cannot run move tasks" rather than "this task failed". */
function unsupported(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  return /UnsupportedOperation|NotImplemented|InvalidAction|UnknownOperation/i.test(name);
}

async function moveTask(
  client: SQSClient,
  sourceArn: string,
  destinationArn: string,
  options: RedriveOptions,
): Promise<number> {
  const { TaskHandle } = await client.send(
    new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }),
  );
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const { Results = [] } = await client.send(
      new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
    );
    const task = Results.find((result) => result.TaskHandle === TaskHandle) ?? Results[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    if (task?.Status === 'COMPLETED') return moved;
    if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED') {
      throw new RedriveError(
        sourceArn,
        destinationArn,
        moved,
        `move task ${task.Status}: ${task.FailureReason ?? 'no reason given'}`,
      );
    }
    if (Date.now() > deadline) {
      throw new RedriveError(
        sourceArn,
        destinationArn,
        moved,
        `move task still ${task?.Status ?? 'unknown'} after ${options.timeoutMs ?? 120_000} ms`,
      );
    }
    await sleep(options.pollIntervalMs ?? 200);
  }
}

/**
 * Client-side move for endpoints without StartMessageMoveTask: receive, send to the destination,
 * and only then delete from the DLQ, so a crash in between duplicates a message instead of losing
 * it (FIFO destinations deduplicate the resend for 5 minutes by `redrive-<DLQ message id>`).
 * The lanes dead-letter attributes are dropped so a new failure records a fresh reason.
 */
async function clientMove(client: SQSClient, options: RedriveOptions): Promise<number> {
  const fifo = options.destinationQueueUrl.endsWith('.fifo');
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return moved;
    for (const message of Messages) {
      const attributes: Record<string, MessageAttributeValue> = {};
      for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
        if (Object.values(DEAD_LETTER_ATTRIBUTES).includes(name as never)) continue;
        attributes[name] = value;
      }
      await client.send(
        new SendMessageCommand({
          QueueUrl: options.destinationQueueUrl,
          MessageBody: message.Body ?? '',
          MessageAttributes: Object.keys(attributes).length > 0 ? attributes : undefined,
          ...(fifo
            ? {
                MessageGroupId: message.Attributes?.MessageGroupId ?? 'redrive',
                MessageDeduplicationId: `redrive-${message.MessageId}`,
              }
            : {}),
        }),
      );
      await client.send(
        new DeleteMessageCommand({
          QueueUrl: options.deadLetterQueueUrl,
          ReceiptHandle: message.ReceiptHandle,
        }),
      );
      moved++;
    }
  }
}

/**
 * Moves every message of a dead-letter queue back to its source queue, with SQS's
 * StartMessageMoveTask where the endpoint supports it (500 messages/s at most, one task per
 * queue), otherwise with a client-side move that sends before it deletes.
 *
 * @example
 * const { moved } = await redriveDeadLetters({
 *   deadLetterQueueUrl: outputs.OrdersDlqUrl,
 *   destinationQueueUrl: outputs.OrdersQueueUrl,
 * });
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveReport> {
  const client = options.client ?? new SQSClient({ useQueueUrlAsEndpoint: false });
  const strategy = options.strategy ?? REDRIVE_STRATEGY.AUTO;
  if (strategy === REDRIVE_STRATEGY.CLIENT) {
    return { strategy: 'client', moved: await clientMove(client, options) };
  }
  const [sourceArn, destinationArn] = await Promise.all([
    queueArn(client, options.deadLetterQueueUrl),
    queueArn(client, options.destinationQueueUrl),
  ]);
  try {
    return {
      strategy: 'move-task',
      moved: await moveTask(client, sourceArn, destinationArn, options),
    };
  } catch (error) {
    if (strategy === REDRIVE_STRATEGY.AUTO && unsupported(error)) {
      return {
        strategy: 'client',
        moved: await clientMove(client, options),
        fallbackReason: `StartMessageMoveTask unavailable (${(error as Error).name}: ${(error as Error).message})`,
      };
    }
    throw error;
  }
}
