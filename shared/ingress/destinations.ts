import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Envelope } from '../events/envelope.ts';
import { messageGroupIdFor } from './group-id.ts';

/**
 * SQS and EventBridge both cap a message/entry and a whole batch call at 256 KiB by default
 * (AWS raised SQS and EventBridge to 1 MiB in 2026; LocalStack and older regions still enforce
 * 256 KiB). Pass a larger `maxBatchBytes` where your endpoint allows it.
 */
export const DEFAULT_MAX_BATCH_BYTES = 262_144;
/** Both SendMessageBatch and PutEvents take at most 10 entries. */
export const MAX_BATCH_ENTRIES = 10;

/** An event ready to send, with a reference used in error messages. */
export interface OutgoingEvent {
  readonly ref: string;
  readonly envelope: Envelope;
}

/** What happened to one entry of a batch call. */
export type EntryOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      readonly code: string;
      readonly message: string;
    };

/** One place events are sent to in batches: a queue, or an event bus. */
export interface Destination {
  /** Human-readable name for messages (queue URL or bus name). */
  readonly name: string;
  /** Size the entry counts toward the call's limit. */
  entryBytes(event: OutgoingEvent): number;
  /** Sends up to 10 events; returns one outcome per event, in order. Throws only on call errors. */
  sendBatch(events: readonly OutgoingEvent[]): Promise<EntryOutcome[]>;
}

const utf8Bytes = (value: string) => Buffer.byteLength(value, 'utf8');

/**
 * A queue. FIFO queues get MessageGroupId = {@link messageGroupIdFor}(partition key) (the key
 * itself when it is a valid group id) and MessageDeduplicationId = event id. A fair queue (a
 * standard queue, `fair: true`) gets the same MessageGroupId, so SQS treats each key as a tenant
 * and keeps a noisy one from delaying the others; standard queues take no deduplication id.
 */
export class SqsDestination implements Destination {
  readonly name: string;
  readonly #client: SQSClient;
  readonly #fifo: boolean;
  readonly #fair: boolean;

  constructor(options: { queueUrl: string; fifo: boolean; fair?: boolean; client: SQSClient }) {
    this.name = options.queueUrl;
    this.#fifo = options.fifo;
    this.#fair = options.fair ?? false;
    this.#client = options.client;
  }

  entryBytes(event: OutgoingEvent): number {
    return utf8Bytes(JSON.stringify(event.envelope));
  }

  async sendBatch(events: readonly OutgoingEvent[]): Promise<EntryOutcome[]> {
    const response = await this.#client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.name,
        Entries: events.map((event, position) => ({
          Id: String(position),
          MessageBody: JSON.stringify(event.envelope),
          ...(this.#fifo
            ? {
                MessageGroupId: messageGroupIdFor(event.envelope.partitionKey),
                MessageDeduplicationId: event.envelope.id,
              }
            : this.#fair
              ? { MessageGroupId: messageGroupIdFor(event.envelope.partitionKey) }
              : {}),
        })),
      }),
    );
    const failures = new Map((response.Failed ?? []).map((failure) => [failure.Id, failure]));
    return events.map((_, position) => {
      const failure = failures.get(String(position));
      if (!failure) return { ok: true };
      return {
        ok: false,
        // SenderFault means the entry itself is wrong: sending it again cannot succeed.
        retryable: failure.SenderFault !== true,
        code: failure.Code ?? 'Unknown',
        message: failure.Message ?? '(no message)',
      };
    });
  }
}

/** PutEvents error codes worth retrying; the others describe the entry itself. */
const RETRYABLE_EVENTBRIDGE_CODES = new Set([
  'ThrottlingException',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
]);

/** An event bus: DetailType = event type, Source = event source, Detail = the envelope. */
export class EventBridgeDestination implements Destination {
  readonly name: string;
  readonly #client: EventBridgeClient;

  constructor(options: { eventBusName: string; client: EventBridgeClient }) {
    this.name = options.eventBusName;
    this.#client = options.client;
  }

  #entry(event: OutgoingEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.name,
      Source: event.envelope.source,
      DetailType: event.envelope.type,
      Detail: JSON.stringify(event.envelope),
      Time: new Date(event.envelope.time),
    };
  }

  /** PutEvents entry size as AWS documents it: 14 bytes for Time plus the UTF-8 string fields. */
  entryBytes(event: OutgoingEvent): number {
    const entry = this.#entry(event);
    return (
      14 +
      utf8Bytes(entry.Source ?? '') +
      utf8Bytes(entry.DetailType ?? '') +
      utf8Bytes(entry.Detail ?? '')
    );
  }

  async sendBatch(events: readonly OutgoingEvent[]): Promise<EntryOutcome[]> {
    const response = await this.#client.send(
      new PutEventsCommand({ Entries: events.map((event) => this.#entry(event)) }),
    );
    const results = response.Entries ?? [];
    return events.map((_, position) => {
      const result = results[position];
      if (result && !result.ErrorCode) return { ok: true };
      const code = result?.ErrorCode ?? 'MissingResult';
      return {
        ok: false,
        retryable: !result || RETRYABLE_EVENTBRIDGE_CODES.has(code),
        code,
        message: result?.ErrorMessage ?? 'PutEvents returned no result for this entry',
      };
    });
  }
}

/** An SQS client for publishers: uses the configured endpoint, not the queue URL's host. */
export function defaultSqsClient(): SQSClient {
  return new SQSClient({ useQueueUrlAsEndpoint: false });
}

/** An EventBridge client with the default configuration. */
export function defaultEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({});
}
