import type { Context, SQSRecord } from 'aws-lambda';
import type { Envelope } from '#shared/events/envelope.ts';

/** The FIFO queue the unit tests' grouped records come from. */
export const FIFO_ARN = 'arn:aws:sqs:us-east-1:000000000000:orders.fifo';

let nextId = 0;

/** An `orders.created` envelope of `key` with sequence `sequence`, id `e-<key>-<sequence>`. */
export function envelope(
  key: string,
  sequence: number,
  overrides: Partial<Envelope> = {},
): Envelope {
  return {
    id: `e-${key}-${sequence}`,
    type: 'orders.created',
    source: 'test',
    time: '2026-01-01T00:00:00.000Z',
    partitionKey: key,
    sequence,
    data: { orderId: `o${sequence}`, customerId: key, amountCents: 100, currency: 'EUR' },
    ...overrides,
  };
}

/** An SQS record of `body`: from the FIFO queue in message group `group`, else a standard one. */
export function record(body: unknown, group?: string, receiveCount = 1): SQSRecord {
  nextId++;
  return {
    messageId: `m${nextId}`,
    receiptHandle: `r${nextId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
      ...(group ? { MessageGroupId: group, SequenceNumber: String(nextId) } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: group ? FIFO_ARN : 'arn:aws:sqs:us-east-1:000000000000:mail',
    awsRegion: 'us-east-1',
  };
}

/** A Lambda context with 10 s left. */
export const lambdaContext = {
  functionName: 'test',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 10_000,
} as Context;
