import {
  type MessageAttributeValue,
  SendMessageCommand,
  type SendMessageCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import {
  DEAD_LETTER_ATTRIBUTES,
  MAX_MESSAGE_ATTRIBUTES,
  MAX_REASON_CHARS,
} from '../dlq/attributes.ts';
import { fromFifoQueue } from './decode.ts';
import { DeadLetterError } from './errors.ts';
import { sendableAttributes } from './message-attributes.ts';

/** Where a worker puts records it gives up on. */
export interface DeadLetterSink {
  send(record: SQSRecord, error: Error): Promise<void>;
}

export interface SqsDeadLetterSinkOptions {
  readonly queueUrl: string;
  /** @default - a new SQSClient with the default configuration */
  readonly client?: SQSClient;
  /** @default - process.env.AWS_LAMBDA_FUNCTION_NAME */
  readonly functionName?: string;
  /** @default - () => new Date() */
  readonly now?: () => Date;
}

function stringAttribute(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

/**
 * Sends a record to the dead-letter queue with the failure reason as message attributes. The
 * body is kept byte for byte so a redrive restores the original event. FIFO queues get the
 * record's message group, and a deduplication id unique to this receive; a fair queue's record
 * (a standard queue with a tenant's MessageGroupId) keeps its group, without a deduplication id,
 * which standard queues refuse.
 *
 * SQS records no reason when its own redrive policy moves a message, hence this sink.
 *
 * @example
 * const sink = new SqsDeadLetterSink({ queueUrl: requireEnv('LANES_DLQ_URL') });
 * await sink.send(record, new NonRetryableError('customer on hold'));
 */
export class SqsDeadLetterSink implements DeadLetterSink {
  readonly #queueUrl: string;
  readonly #client: SQSClient;
  readonly #functionName: string | undefined;
  readonly #now: () => Date;

  constructor(options: SqsDeadLetterSinkOptions) {
    this.#queueUrl = options.queueUrl;
    this.#client = options.client ?? new SQSClient({});
    this.#functionName = options.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME;
    this.#now = options.now ?? (() => new Date());
  }

  /** Builds the SendMessage input; exposed for tests of the attribute layout. */
  buildInput(record: SQSRecord, error: Error): SendMessageCommandInput {
    const reason: Record<string, MessageAttributeValue> = {
      [DEAD_LETTER_ATTRIBUTES.ERROR_NAME]: stringAttribute(error.name || 'Error'),
      [DEAD_LETTER_ATTRIBUTES.ERROR_MESSAGE]: stringAttribute(
        (error.message || '(no message)').slice(0, MAX_REASON_CHARS),
      ),
      [DEAD_LETTER_ATTRIBUTES.FAILED_AT]: stringAttribute(this.#now().toISOString()),
      [DEAD_LETTER_ATTRIBUTES.SOURCE_QUEUE_ARN]: stringAttribute(record.eventSourceARN),
      [DEAD_LETTER_ATTRIBUTES.RECEIVE_COUNT]: stringAttribute(
        record.attributes.ApproximateReceiveCount,
      ),
    };
    if (this.#functionName) {
      reason[DEAD_LETTER_ATTRIBUTES.FUNCTION_NAME] = stringAttribute(this.#functionName);
    }
    // Keep the producer's own string attributes while SQS's 10-attribute limit allows.
    const attributes: Record<string, MessageAttributeValue> = {};
    const room = MAX_MESSAGE_ATTRIBUTES - Object.keys(reason).length;
    for (const [name, value] of Object.entries(sendableAttributes(record)).slice(0, room)) {
      if (name.startsWith('lanes.') || value.StringValue === undefined) continue;
      attributes[name] = value;
    }
    const groupId = record.attributes.MessageGroupId;
    return {
      QueueUrl: this.#queueUrl,
      MessageBody: record.body,
      MessageAttributes: { ...attributes, ...reason },
      ...(groupId ? { MessageGroupId: groupId } : {}),
      ...(groupId && fromFifoQueue(record)
        ? {
            // Unique per receive: an SDK retry of this send is deduplicated, but a message that is
            // redriven and dead-lettered again within 5 minutes is not mistaken for a duplicate.
            MessageDeduplicationId: `${record.messageId}-${record.attributes.ApproximateReceiveCount}-${record.attributes.ApproximateFirstReceiveTimestamp}`,
          }
        : {}),
    };
  }

  async send(record: SQSRecord, error: Error): Promise<void> {
    try {
      await this.#client.send(new SendMessageCommand(this.buildInput(record, error)));
    } catch (sendError) {
      throw new DeadLetterError(record.messageId, this.#queueUrl, { cause: sendError });
    }
  }
}
