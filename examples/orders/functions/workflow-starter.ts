import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createWorkerHandler, requireEnv } from 'lanes/runtime';
import { WorkflowStarter } from 'lanes/workflows';
import { FulfilmentInputSchema, fulfilmentCatalogue } from '../domain/fulfilment/model.ts';
import { claimCheckFromEnv, FULFILMENT_ENV } from '../domain/fulfilment/runtime.ts';
import { startFulfilment } from '../domain/fulfilment/start.ts';

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
