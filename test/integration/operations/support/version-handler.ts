/**
 * Handler of the canary test's worker: records which function version (and which code, the
 * CODE_VERSION of its environment) handled each message, one item per message.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const client = new DynamoDBClient({});

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  for (const record of event.Records) {
    await client.send(
      new PutItemCommand({
        TableName: process.env.VERSIONS_TABLE ?? '',
        Item: {
          pk: { S: record.body },
          version: { S: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '?' },
          code: { S: process.env.CODE_VERSION ?? '?' },
        },
      }),
    );
  }
  return { batchItemFailures: [] };
};
