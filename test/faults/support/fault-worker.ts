import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type CommitRun, createWorkerHandler } from '#functions/worker-handler.ts';
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

/** Instrumentation, not the effect: counts every delivery the worker was handed. */
async function logDelivery(event: { partitionKey: string; id: string }, receiveCount: number) {
  await client.send(
    new UpdateItemCommand({
      TableName: deps.resultsTableName,
      Key: { pk: { S: event.partitionKey }, sk: { S: `${SEEN_PREFIX}${event.id}` } },
      UpdateExpression: 'ADD #d :one SET #r = :receive',
      ExpressionAttributeNames: { '#d': 'deliveries', '#r': 'lastReceiveCount' },
      ExpressionAttributeValues: {
        ':one': { N: '1' },
        ':receive': { N: String(receiveCount) },
      },
    }),
  );
}

const marked = (event: { data: unknown }) => {
  const { orderId } = event.data as OrderEventData;
  return Object.values(FAULT_MARKERS).some((marker) => orderId.includes(marker));
};

export const handler = createWorkerHandler({
  ...reference,
  serviceName: 'faults',
  processEvent: async (event, context) => {
    await logDelivery(event, context.receiveCount);
    const { orderId } = event.data as OrderEventData;
    // Deliberately deaf to context.signal, like a handler stuck in a call without a timeout.
    if (orderId.includes(FAULT_MARKERS.SLOW)) await sleep(SLOW_SLEEP_MS);
    if (orderId.includes(FAULT_MARKERS.PAUSE)) await sleep(PAUSE_SLEEP_MS);
    if (orderId.includes(FAULT_MARKERS.POISON)) {
      throw new Error(`Poison record ${event.id}: this order always fails (fault suite)`);
    }
    // A marked event meets its fault at its own turn: a run of the events before it stops there.
    const following = [];
    for (const next of context.following) {
      if (marked(next.event)) break;
      following.push(next);
    }
    // The events a run applies were handed to the worker too, with the one that led it.
    const commitRun: CommitRun = async (requests) => {
      const outcome = await context.commitRun(requests);
      if (outcome.applied) {
        const ahead = requests.flatMap((r) =>
          r.event && r.event.id !== event.id ? [r.event] : [],
        );
        await Promise.all(ahead.map((next) => logDelivery(next, context.receiveCount)));
      }
      return outcome;
    };
    await reference.processEvent(event, { ...context, following, commitRun });
  },
});
