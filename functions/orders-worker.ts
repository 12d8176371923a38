import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#shared/env.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import { type OrderEventData, ordersCatalogue } from '#shared/events/orders.ts';
import { createWorkerHandler } from '#shared/worker/handler.ts';
import { recordOrderEvent } from './commons/orders.ts';
import { RESULTS_TABLE_ENV } from './commons/results-table.ts';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const tableName = requireEnv(RESULTS_TABLE_ENV);

/** Hot path of the reference pipeline: orders, partitioned by customer, in order per customer. */
export const handler = createWorkerHandler({
  catalogue: ordersCatalogue,
  serviceName: 'orders',
  processEvent: async (event, { delivery }) => {
    await recordOrderEvent(event as Envelope<OrderEventData>, delivery, {
      client,
      tableName,
      now: () => new Date(),
    });
  },
});
