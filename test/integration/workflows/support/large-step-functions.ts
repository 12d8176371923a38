/**
 * Lambda code for the large-output workflow tests, bundled by the test itself: one step that
 * returns as much as its input asks for, run by the direct step helper (`direct`) and by the
 * queue-dispatched step worker (`worker`). Claim checks come from CLAIM_CHECK_TABLE_NAME.
 */
import { randomBytes } from 'node:crypto';
import { createDirectStepHandler } from '#functions/direct-step-handler.ts';
import { createWorkerHandler } from '#functions/worker-handler.ts';
import { workflowStepCatalogue } from '#shared/workflows/step-message.ts';
import { createStepProcessor, type StepFunction } from '#shared/workflows/step-worker.ts';
import { TaskTokenClient } from '#shared/workflows/task-token.ts';

/** Input: `bytes` of text; `incompressible` makes it random, so even gzip cannot store it. */
const large: StepFunction = async (input) => {
  const { bytes, incompressible } = input as { bytes: number; incompressible?: boolean };
  const text = incompressible
    ? randomBytes(Math.ceil((bytes * 3) / 4))
        .toString('base64')
        .slice(0, bytes)
    : 'x'.repeat(bytes);
  return { text, bytes: text.length };
};

export const direct = createDirectStepHandler('large', large);

export const worker = createWorkerHandler({
  catalogue: workflowStepCatalogue,
  serviceName: 'large-step-worker',
  processEvent: createStepProcessor({
    steps: { large },
    tokens: new TaskTokenClient(),
    heartbeatIntervalMs: 1_000,
  }),
});
