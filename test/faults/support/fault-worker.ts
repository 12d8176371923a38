import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createWorkerHandler } from '#functions/worker-handler.ts';
import type { OrderEventData } from '#orders/domain/order-events.ts';
import { ordersWorkerOptions, referenceWorkerDepsFromEnv } from '#orders/domain/workers.ts';
import { FAULT_MARKERS, PAUSE_SLEEP_MS, SEEN_PREFIX, SLOW_SLEEP_MS } from './markers.ts';

/**
 * The reference orders worker (same options, same transactional effect) with faults injected by
 * marker and a delivery log, for the fault suite. Deployed by the test-owned Lanes-Faults stack.
 */
const deps = referenceWorkerDepsFromEnv();
const reference = ordersWorkerOptions(deps);
const client = new DynamoDBClient({});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const handler = createWorkerHandler({
  ...reference,
  serviceName: 'faults',
  processEvent: async (event, context) => {
    // Instrumentation, not the effect: count every delivery the worker was handed.
    await client.send(
      new UpdateItemCommand({
        TableName: deps.resultsTableName,
        Key: { pk: { S: event.partitionKey }, sk: { S: `${SEEN_PREFIX}${event.id}` } },
        UpdateExpression: 'ADD #d :one SET #r = :receive',
        ExpressionAttributeNames: { '#d': 'deliveries', '#r': 'lastReceiveCount' },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':receive': { N: String(context.receiveCount) },
        },
      }),
    );
    const { orderId } = event.data as OrderEventData;
    // Deliberately deaf to context.signal, like a handler stuck in a call without a timeout.
    if (orderId.includes(FAULT_MARKERS.SLOW)) await sleep(SLOW_SLEEP_MS);
    if (orderId.includes(FAULT_MARKERS.PAUSE)) await sleep(PAUSE_SLEEP_MS);
    if (orderId.includes(FAULT_MARKERS.POISON)) {
      throw new Error(`Poison record ${event.id}: this order always fails (fault suite)`);
    }
    await reference.processEvent(event, context);
  },
});
