import { WorkflowError } from 'lanes/workflows';

/** Base class of the order fulfilment workflow's business errors (never retried). */
export class FulfilmentError extends WorkflowError {
  public readonly orderId: string;
  public constructor(orderId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FulfilmentError';
    this.orderId = orderId;
  }
}

/** The charge was declined; the workflow releases the reservation. */
export class PaymentDeclinedError extends FulfilmentError {
  public readonly amountCents: number;
  public constructor(orderId: string, amountCents: number, limitCents: number) {
    super(
      orderId,
      `Payment for order ${orderId} declined: ${amountCents} cents is above the charge limit of ${limitCents} cents. ` +
        'Split the order or raise CHARGE_LIMIT_CENTS.',
    );
    this.name = 'PaymentDeclinedError';
    this.amountCents = amountCents;
  }
}

/** The confirmation could not be delivered; the workflow refunds and releases. */
export class NotificationRejectedError extends FulfilmentError {
  public readonly email: string;
  public constructor(orderId: string, email: string) {
    super(
      orderId,
      `Confirmation for order ${orderId} rejected: ${email} is not deliverable (reserved .invalid domain). ` +
        'Correct the customer address and resubmit the order.',
    );
    this.name = 'NotificationRejectedError';
    this.email = email;
  }
}

/** A step's input is not a valid fulfilment state (a bug in the definition or a hand-started run). */
export class FulfilmentStateError extends FulfilmentError {
  public constructor(step: string, detail: string, options?: ErrorOptions) {
    super(
      'unknown',
      `Step ${step} got an invalid workflow state: ${detail}. Start executions through the starter.`,
      options,
    );
    this.name = 'FulfilmentStateError';
  }
}
