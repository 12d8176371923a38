import { createWorkerHandler } from '#shared/worker/handler.ts';
import {
  FULFILMENT_ENV,
  fulfilmentDepsFromEnv,
  optionalIntEnv,
} from '#shared/workflows/order-fulfilment/runtime.ts';
import { fulfilmentSteps } from '#shared/workflows/order-fulfilment/steps.ts';
import { workflowStepCatalogue } from '#shared/workflows/step-message.ts';
import { createStepProcessor } from '#shared/workflows/step-worker.ts';
import { TaskTokenClient } from '#shared/workflows/task-token.ts';

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
