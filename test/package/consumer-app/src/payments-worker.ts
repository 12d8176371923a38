import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createWorkerHandler, requireEnv } from 'lanes/runtime';
import { paymentsCatalogue } from './events.js';

const client = new DynamoDBClient({});
const tableName = requireEnv('PAYMENTS_TABLE_NAME');

/** The consumer's handler: `event.data` is typed by the catalogue, no casts. */
export const handler = createWorkerHandler({
  catalogue: paymentsCatalogue,
  serviceName: 'payments',
  processEvent: async (event, { receiveCount }) => {
    const cents: number = event.data.amountCents;
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: event.data.accountId },
          sk: { S: event.id },
          amountCents: { N: String(cents) },
          receiveCount: { N: String(receiveCount) },
        },
      }),
    );
  },
});
