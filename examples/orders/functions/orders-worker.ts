import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createWorkerHandler, requireEnv } from 'lanes/runtime';
import { ordersCatalogue } from '../domain/order-events.ts';
import { recordOrderEvent } from '../domain/orders.ts';
import { RESULTS_TABLE_ENV } from '../domain/results-table.ts';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const tableName = requireEnv(RESULTS_TABLE_ENV);

/** Hot path of the reference pipeline: orders, partitioned by customer, in order per customer. */
export const handler = createWorkerHandler({
  catalogue: ordersCatalogue,
  serviceName: 'orders',
  processEvent: async (event, { delivery }) => {
    await recordOrderEvent(event, delivery, {
      client,
      tableName,
      now: () => new Date(),
    });
  },
});
