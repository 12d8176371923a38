import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES, EVENTBRIDGE_DEAD_LETTER_ATTRIBUTES } from './attributes.ts';

/** Why a message is in the dead-letter queue. */
export interface DeadLetterReason {
  /**
   * `worker`: the lanes runtime dead-lettered it with the error; `eventbridge`: EventBridge could
   * not deliver it to a rule target; `redrive-policy`: SQS moved it.
   */
  readonly source: 'worker' | 'eventbridge' | 'redrive-policy';
  readonly errorName: string;
  readonly errorMessage: string;
  readonly failedAt?: string;
  readonly sourceQueueArn?: string;
  readonly receiveCount?: number;
  readonly functionName?: string;
  /** EventBridge dead letters: the rule and the target that could not be reached. */
  readonly ruleArn?: string;
  readonly targetArn?: string;
  /** EventBridge dead letters: why retrying stopped (e.g. `MaximumRetryAttempts`). */
  readonly exhaustedRetryCondition?: string;
  readonly retryAttempts?: number;
}

/** A message in a dead-letter queue, with its reason and, when it is a lanes event, its identity. */
export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  readonly messageGroupId?: string;
  readonly sentAt?: string;
  readonly reason: DeadLetterReason;
  readonly event?: {
    readonly id?: string;
    readonly type?: string;
    readonly partitionKey?: string;
    readonly sequence?: number;
  };
}

/** Reads the lanes envelope's identity from a body (direct or EventBridge shape), if it is one. */
function eventIdentity(body: string): DeadLetter['event'] {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const envelope = (
      parsed && typeof parsed.detail === 'object' && 'detail-type' in parsed
        ? parsed.detail
        : parsed
    ) as Record<string, unknown>;
    return {
      id: typeof envelope.id === 'string' ? envelope.id : undefined,
      type: typeof envelope.type === 'string' ? envelope.type : undefined,
      partitionKey: typeof envelope.partitionKey === 'string' ? envelope.partitionKey : undefined,
      sequence: typeof envelope.sequence === 'number' ? envelope.sequence : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Builds the reason from the attributes the lanes worker sets, or explains their absence. */
export function deadLetterReason(message: Message): DeadLetterReason {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const errorName = attribute(DEAD_LETTER_ATTRIBUTES.ERROR_NAME);
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? Number.NaN);
  const errorCode = attribute(EVENTBRIDGE_DEAD_LETTER_ATTRIBUTES.ERROR_CODE);
  if (errorName === undefined && errorCode !== undefined) {
    const retries = Number(attribute(EVENTBRIDGE_DEAD_LETTER_ATTRIBUTES.RETRY_ATTEMPTS));
    return {
      source: 'eventbridge',
      errorName: errorCode,
      errorMessage: attribute(EVENTBRIDGE_DEAD_LETTER_ATTRIBUTES.ERROR_MESSAGE) ?? '',
      ruleArn: attribute(EVENTBRIDGE_DEAD_LETTER_ATTRIBUTES.RULE_ARN),
      targetArn: attribute(EVENTBRIDGE_DEAD_LETTER_ATTRIBUTES.TARGET_ARN),
      exhaustedRetryCondition: attribute(
        EVENTBRIDGE_DEAD_LETTER_ATTRIBUTES.EXHAUSTED_RETRY_CONDITION,
      ),
      ...(Number.isFinite(retries) ? { retryAttempts: retries } : {}),
    };
  }
  if (errorName === undefined) {
    return {
      source: 'redrive-policy',
      errorName: 'MaxReceiveCountExceeded',
      errorMessage:
        'Moved by the queue redrive policy after maxReceiveCount receives; the worker recorded no reason (a timeout, a crash, or a consumer without the lanes runtime). Look at the function logs for this message id.',
    };
  }
  const recorded = Number(attribute(DEAD_LETTER_ATTRIBUTES.RECEIVE_COUNT));
  return {
    source: 'worker',
    errorName,
    errorMessage: attribute(DEAD_LETTER_ATTRIBUTES.ERROR_MESSAGE) ?? '',
    failedAt: attribute(DEAD_LETTER_ATTRIBUTES.FAILED_AT),
    sourceQueueArn: attribute(DEAD_LETTER_ATTRIBUTES.SOURCE_QUEUE_ARN),
    receiveCount: Number.isFinite(recorded)
      ? recorded
      : Number.isFinite(receiveCount)
        ? receiveCount
        : undefined,
    functionName: attribute(DEAD_LETTER_ATTRIBUTES.FUNCTION_NAME),
  };
}

export interface ListOptions {
  /** @default - a new SQSClient */
  readonly client?: SQSClient;
  /** @default 100 */
  readonly max?: number;
  /**
   * How long listed messages stay hidden while the listing runs; they are made visible again at
   * the end. @default 30
   */
  readonly peekSeconds?: number;
}

/**
 * Lists the messages of a dead-letter queue with their failure reason, without removing them:
 * messages are received with a short visibility timeout and made visible again afterwards.
 * Listing counts as a receive on the DLQ (harmless: a DLQ has no redrive policy of its own).
 *
 * @example
 * for (const letter of await listDeadLetters(outputs.OrdersDlqUrl)) {
 *   console.log(letter.event?.id, letter.reason.errorName, letter.reason.errorMessage);
 * }
 */
export async function listDeadLetters(
  queueUrl: string,
  options: ListOptions = {},
): Promise<DeadLetter[]> {
  const client = options.client ?? new SQSClient({ useQueueUrlAsEndpoint: false });
  const max = options.max ?? 100;
  const seen = new Map<string, DeadLetter>();
  const receipts: string[] = [];
  try {
    while (seen.size < max) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, max - seen.size),
          VisibilityTimeout: options.peekSeconds ?? 30,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      for (const message of Messages) {
        if (message.ReceiptHandle) receipts.push(message.ReceiptHandle);
        if (!message.MessageId || seen.has(message.MessageId)) continue;
        const sentAt = message.Attributes?.SentTimestamp;
        seen.set(message.MessageId, {
          messageId: message.MessageId,
          body: message.Body ?? '',
          messageGroupId: message.Attributes?.MessageGroupId,
          sentAt: sentAt ? new Date(Number(sentAt)).toISOString() : undefined,
          reason: deadLetterReason(message),
          event: eventIdentity(message.Body ?? ''),
        });
      }
    }
  } finally {
    // Make everything visible again, 10 receipts per call.
    for (let i = 0; i < receipts.length; i += 10) {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: receipts.slice(i, i + 10).map((receipt, j) => ({
            Id: String(j),
            ReceiptHandle: receipt,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
  return [...seen.values()];
}
