import type { SQSRecord } from 'aws-lambda';
import type { EventCatalogue } from '../events/catalogue.ts';
import { toFieldIssues } from '../events/catalogue.ts';
import { type Envelope, EnvelopeSchema } from '../events/envelope.ts';
import { EventError, InvalidEventError } from '../events/errors.ts';
import { InvalidRecordError } from './errors.ts';

/** Whether the record came from a FIFO queue (its ARN, like its URL, ends in `.fifo`). */
export function fromFifoQueue(record: Pick<SQSRecord, 'eventSourceARN'>): boolean {
  return record.eventSourceARN.endsWith('.fifo');
}

/** How the envelope reached the queue. */
export const DELIVERY = { DIRECT: 'direct', EVENTBRIDGE: 'eventbridge' } as const;
export type Delivery = (typeof DELIVERY)[keyof typeof DELIVERY];

export interface DecodedRecord {
  readonly envelope: Envelope;
  readonly delivery: Delivery;
}

function isEventBridgeEvent(body: unknown): body is { 'detail-type': string; detail: unknown } {
  return typeof body === 'object' && body !== null && 'detail-type' in body && 'detail' in body;
}

/**
 * Decodes an SQS record into a validated lanes envelope. Direct mode puts the envelope in the
 * body; an EventBridge rule target puts the whole EventBridge event there, envelope in `detail`.
 *
 * @throws InvalidRecordError naming the message id and the failing fields
 * @example
 * const { envelope } = decodeRecord(record, ordersCatalogue);
 */
export function decodeRecord(record: SQSRecord, catalogue: EventCatalogue): DecodedRecord {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    throw new InvalidRecordError(
      record.messageId,
      [{ path: 'body', message: `is not JSON (${(error as Error).message})` }],
      { cause: error },
    );
  }
  const delivery = isEventBridgeEvent(body) ? DELIVERY.EVENTBRIDGE : DELIVERY.DIRECT;
  const candidate = isEventBridgeEvent(body) ? body.detail : body;
  const parsed = EnvelopeSchema.safeParse(candidate);
  if (!parsed.success) {
    const prefix = delivery === DELIVERY.EVENTBRIDGE ? 'detail' : '';
    throw new InvalidRecordError(record.messageId, toFieldIssues(parsed.error, prefix), {
      cause: parsed.error,
    });
  }
  try {
    const { data, partitionKey } = catalogue.parse(
      parsed.data.type,
      parsed.data.data,
      `${parsed.data.id} (${parsed.data.type})`,
    );
    if (partitionKey !== parsed.data.partitionKey) {
      throw new InvalidRecordError(record.messageId, [
        {
          path: 'partitionKey',
          message: `is ${JSON.stringify(parsed.data.partitionKey)} but the payload derives ${JSON.stringify(partitionKey)}`,
        },
      ]);
    }
    return { envelope: { ...parsed.data, data }, delivery };
  } catch (error) {
    if (error instanceof InvalidEventError) {
      throw new InvalidRecordError(record.messageId, error.issues, { cause: error });
    }
    if (error instanceof EventError) {
      throw new InvalidRecordError(record.messageId, [{ path: 'type', message: error.message }], {
        cause: error,
      });
    }
    throw error;
  }
}
