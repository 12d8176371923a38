/**
 * Lambda handler of the event source mapping tests, bundled with esbuild into the test functions.
 * Per invocation it works `WORK_MS` per record, then writes one item to `RECORDS_TABLE` with the
 * invocation's start and end and every record it got (message id, group, body, receive count,
 * send time, outcome), and reports failures as partial batch failures.
 *
 * A record whose body is `{"failUntilReceive": n}` fails while its receive count is <= n; on a
 * FIFO queue the records after a failure in the same group are reported failed unprocessed, as
 * AWS recommends, so order holds.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const client = new DynamoDBClient({});
const table = process.env.RECORDS_TABLE ?? '';
const run = process.env.RUN_ID ?? '';
const workMs = Number(process.env.WORK_MS ?? '0');

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const start = Date.now();
  const failed = new Set<string>();
  const failedGroups = new Set<string>();
  const records: Array<Record<string, unknown>> = [];
  for (const record of event.Records) {
    const group = record.attributes.MessageGroupId;
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    let body: { failUntilReceive?: number } = {};
    try {
      body = JSON.parse(record.body) as typeof body;
    } catch {
      body = {};
    }
    let outcome = 'processed';
    if (group !== undefined && failedGroups.has(group)) outcome = 'skipped';
    else if (body.failUntilReceive !== undefined && receiveCount <= body.failUntilReceive)
      outcome = 'failed';
    if (outcome === 'processed' && workMs > 0) await new Promise((r) => setTimeout(r, workMs));
    if (outcome !== 'processed') {
      failed.add(record.messageId);
      if (group !== undefined) failedGroups.add(group);
    }
    records.push({
      id: record.messageId,
      group,
      body: record.body,
      receiveCount,
      sent: Number(record.attributes.SentTimestamp),
      outcome,
    });
  }
  const end = Date.now();
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        pk: { S: run },
        sk: { S: `${String(start).padStart(15, '0')}#${randomUUID()}` },
        start: { N: String(start) },
        end: { N: String(end) },
        records: { S: JSON.stringify(records) },
      },
    }),
  );
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
};
