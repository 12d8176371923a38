import { createWorkerHandler } from 'lanes/runtime';
import { createStepProcessor, TaskTokenClient, workflowStepCatalogue } from 'lanes/workflows';
import {
  FULFILMENT_ENV,
  fulfilmentDepsFromEnv,
  optionalIntEnv,
} from '../domain/fulfilment/runtime.ts';
import { fulfilmentSteps } from '../domain/fulfilment/steps.ts';

/**
 * Queue-dispatched steps of the order fulfilment workflow: consumes the step worker queue
 * (lanes worker runtime) and answers each step's task token.
 */
export const handler = createWorkerHandler({
  catalogue: workflowStepCatalogue,
  serviceName: 'workflow-step-worker',
  processEvent: createStepProcessor({
    steps: fulfilmentSteps(fulfilmentDepsFromEnv()),
    tokens: new TaskTokenClient(),
    heartbeatIntervalMs: optionalIntEnv(FULFILMENT_ENV.HEARTBEAT_INTERVAL_MS),
  }),
});
