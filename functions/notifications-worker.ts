import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#shared/env.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import { type OrderEventData, ordersCatalogue } from '#shared/events/orders.ts';
import { createWorkerHandler } from '#shared/worker/handler.ts';
import { recordNotification } from './commons/orders.ts';
import { RESULTS_TABLE_ENV } from './commons/results-table.ts';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const tableName = requireEnv(RESULTS_TABLE_ENV);

/** Cold path of the reference pipeline: a notification per order event, no ordering needed. */
export const handler = createWorkerHandler({
  catalogue: ordersCatalogue,
  serviceName: 'notifications',
  processEvent: async (event) => {
    await recordNotification(event as Envelope<OrderEventData>, {
      client,
      tableName,
      now: () => new Date(),
    });
  },
});
