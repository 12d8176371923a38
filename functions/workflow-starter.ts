import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#shared/env.ts';
import { createWorkerHandler } from '#shared/worker/handler.ts';
import {
  FulfilmentInputSchema,
  fulfilmentCatalogue,
} from '#shared/workflows/order-fulfilment/model.ts';
import { claimCheckFromEnv, FULFILMENT_ENV } from '#shared/workflows/order-fulfilment/runtime.ts';
import { startFulfilment } from '#shared/workflows/order-fulfilment/start.ts';
import { WorkflowStarter } from '#shared/workflows/starter.ts';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const claimCheck = claimCheckFromEnv(client);
const starter = new WorkflowStarter({
  stateMachineArn: requireEnv(FULFILMENT_ENV.STATE_MACHINE_ARN),
  schema: FulfilmentInputSchema,
});

/** Starts one order fulfilment execution per order from `fulfilment.requested` events. */
export const handler = createWorkerHandler({
  catalogue: fulfilmentCatalogue,
  serviceName: 'workflow-starter',
  processEvent: async (event, { logger }) => {
    const outcome = await startFulfilment(event, { starter, claimCheck });
    logger.info('Workflow start', { ...outcome });
  },
});
