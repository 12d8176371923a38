import { NonRetryableError } from 'lanes/runtime';

/** The customer is on hold: their orders are rejected until the hold is released. */
export class CustomerOnHoldError extends NonRetryableError {
  readonly customerId: string;
  readonly eventId: string;

  constructor(customerId: string, eventId: string, holdReason: string) {
    super(
      `Order event ${eventId} rejected: customer ${customerId} is on hold (${holdReason}). Release the hold (releaseHold) and redrive the dead-letter queue.`,
    );
    this.name = 'CustomerOnHoldError';
    this.customerId = customerId;
    this.eventId = eventId;
  }
}
