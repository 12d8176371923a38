import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createWorkerHandler, requireEnv } from 'lanes/runtime';
import { ordersCatalogue } from '../domain/order-events.ts';
import { recordNotification } from '../domain/orders.ts';
import { RESULTS_TABLE_ENV } from '../domain/results-table.ts';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const tableName = requireEnv(RESULTS_TABLE_ENV);

/** Cold path of the reference pipeline: a notification per order event, no ordering needed. */
export const handler = createWorkerHandler({
  catalogue: ordersCatalogue,
  serviceName: 'notifications',
  processEvent: async (event) => {
    await recordNotification(event, {
      client,
      tableName,
      now: () => new Date(),
    });
  },
});
