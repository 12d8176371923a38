import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/**
 * A record's message attributes in the shape SendMessage takes: Lambda hands them over in
 * camelCase with binary values base64-encoded. Used to re-send a record (requeue, dead-letter).
 *
 * @example
 * await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: record.body, MessageAttributes: sendableAttributes(record) }));
 */
export function sendableAttributes(record: SQSRecord): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    attributes[name] = {
      DataType: value.dataType,
      ...(value.stringValue !== undefined ? { StringValue: value.stringValue } : {}),
      ...(value.binaryValue !== undefined
        ? { BinaryValue: Buffer.from(value.binaryValue, 'base64') }
        : {}),
    };
  }
  return attributes;
}
