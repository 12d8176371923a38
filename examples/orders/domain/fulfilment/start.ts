import type { Envelope } from 'lanes/events';
import { NonRetryableError } from 'lanes/runtime';
import type { ClaimCheck, StartOutcome, WorkflowStarter } from 'lanes/workflows';
import {
  ExecutionConflictError,
  executionNameFor,
  PayloadTooLargeError,
  WorkflowInputError,
} from 'lanes/workflows';
import type { FulfilmentInput, FulfilmentRequested } from './model.ts';
import { toFulfilmentInput } from './steps.ts';

export interface StartFulfilmentDeps {
  readonly starter: WorkflowStarter<unknown> | WorkflowStarter<FulfilmentInput>;
  readonly claimCheck: ClaimCheck;
}

/**
 * Starts the fulfilment of the order in a `fulfilment.requested` event. The idempotency key is
 * the order id (the business key), not the event id: a producer that republishes an order under
 * a new event id still starts no second execution. The correlation id is the execution name, so
 * every step record and queue message leads back to the execution.
 *
 * Errors retrying cannot fix (invalid or oversized input, key reused with other data) become
 * NonRetryableError, which the worker runtime dead-letters with the reason.
 *
 * @example
 * await startFulfilment(event, { starter, claimCheck });
 */
export async function startFulfilment(
  event: Envelope,
  deps: StartFulfilmentDeps,
): Promise<StartOutcome> {
  const order = event.data as FulfilmentRequested;
  const source = `event ${event.id} (${event.type})`;
  try {
    // The producer's correlation id when it set one, so the workflow's logs join the request's.
    const correlationId = event.correlationId ?? executionNameFor(order.orderId);
    const input = await toFulfilmentInput(order, correlationId, deps.claimCheck);
    return await deps.starter.start(order.orderId, input, source);
  } catch (error) {
    if (
      error instanceof WorkflowInputError ||
      error instanceof PayloadTooLargeError ||
      error instanceof ExecutionConflictError
    ) {
      throw new NonRetryableError(`${source}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
