import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { fromFifoQueue } from './decode.ts';
import { WorkerError } from './errors.ts';
import { sendableAttributes } from './message-attributes.ts';

/** Postpones a record's next delivery; used when its key is busy, so it is retried later. */
export interface RetryDelay {
  /** Leaves the message on its queue and makes it visible again in `seconds`. */
  postpone(record: SQSRecord, seconds: number): Promise<void>;
  /**
   * Sends a copy of the message, delivered in `seconds`, so that the caller can acknowledge the
   * original before its receive count reaches the queue's maxReceiveCount. Standard queues only.
   */
  requeue(record: SQSRecord, seconds: number): Promise<void>;
  /**
   * Makes messages the worker handed back without starting them visible again at once, so they
   * do not wait out the queue's visibility timeout (on a FIFO queue that wait holds their whole
   * message group). Resolves with the message ids SQS refused; optional for custom delays.
   */
  release?(
    records: readonly SQSRecord[],
    options?: { readonly abortSignal?: AbortSignal },
  ): Promise<string[]>;
}

/** ChangeMessageVisibilityBatch takes at most 10 entries. */
const VISIBILITY_BATCH_SIZE = 10;

/**
 * Postpones a record by setting its message's visibility timeout (ChangeMessageVisibility), so the
 * queue redelivers it after `seconds` instead of after the queue's full visibility timeout. The
 * queue URL is looked up once per source queue from the record's `eventSourceARN`.
 *
 * @example
 * await new SqsRetryDelay().postpone(record, 8);
 */
export class SqsRetryDelay implements RetryDelay {
  readonly #client: SQSClient;
  readonly #queueUrls = new Map<string, Promise<string>>();

  constructor(options: { client?: SQSClient } = {}) {
    this.#client = options.client ?? new SQSClient({});
  }

  async postpone(record: SQSRecord, seconds: number): Promise<void> {
    await this.#client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: await this.#queueUrl(record.eventSourceARN),
        ReceiptHandle: record.receiptHandle,
        // SQS allows 0..43,200 seconds (12 hours).
        VisibilityTimeout: Math.min(43_200, Math.max(0, Math.round(seconds))),
      }),
    );
  }

  async release(
    records: readonly SQSRecord[],
    options: { readonly abortSignal?: AbortSignal } = {},
  ): Promise<string[]> {
    const refused: string[] = [];
    const byQueue = new Map<string, SQSRecord[]>();
    for (const record of records) {
      const queued = byQueue.get(record.eventSourceARN);
      if (queued) queued.push(record);
      else byQueue.set(record.eventSourceARN, [record]);
    }
    for (const [queueArn, queued] of byQueue) {
      const queueUrl = await this.#queueUrl(queueArn);
      for (let start = 0; start < queued.length; start += VISIBILITY_BATCH_SIZE) {
        const chunk = queued.slice(start, start + VISIBILITY_BATCH_SIZE);
        const { Failed = [] } = await this.#client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            // Entry ids must be unique within a call and at most 80 characters: use positions.
            Entries: chunk.map((record, index) => ({
              Id: String(index),
              ReceiptHandle: record.receiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
          options.abortSignal ? { abortSignal: options.abortSignal } : {},
        );
        for (const failure of Failed) {
          const record = chunk[Number(failure.Id)];
          if (record) refused.push(record.messageId);
        }
      }
    }
    return refused;
  }

  async requeue(record: SQSRecord, seconds: number): Promise<void> {
    if (fromFifoQueue(record)) {
      throw new WorkerError(
        `Cannot requeue ${record.messageId}: a copy on the FIFO queue ${record.eventSourceARN} would go behind the rest of its message group.`,
      );
    }
    const attributes = sendableAttributes(record);
    // A fair queue's copy keeps its tenant (MessageGroupId), or SQS would see a tenant-less message.
    const groupId = record.attributes.MessageGroupId;
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: await this.#queueUrl(record.eventSourceARN),
        MessageBody: record.body,
        ...(groupId ? { MessageGroupId: groupId } : {}),
        // SendMessage allows 0..900 seconds.
        DelaySeconds: Math.min(900, Math.max(0, Math.round(seconds))),
        ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
      }),
    );
  }

  #queueUrl(queueArn: string): Promise<string> {
    let url = this.#queueUrls.get(queueArn);
    if (!url) {
      // arn:aws:sqs:<region>:<account>:<name>
      const [, , , , account, name] = queueArn.split(':');
      url = this.#client
        .send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))
        .then((out) => {
          if (!out.QueueUrl) {
            throw new WorkerError(
              `SQS returned no URL for queue ${queueArn}; check the record's eventSourceARN.`,
            );
          }
          return out.QueueUrl;
        });
      url.catch(() => this.#queueUrls.delete(queueArn));
      this.#queueUrls.set(queueArn, url);
    }
    return url;
  }
}
