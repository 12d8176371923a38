import { defineEvent, EventCatalogue, type EventOf } from 'lanes/events';
import { z } from 'zod';

/** The consumer's own event catalogue: the zod schema is the only source of the payload type. */
export const paymentsCatalogue = new EventCatalogue([
  defineEvent({
    type: 'payments.received',
    schema: z.object({
      accountId: z.string().min(1),
      paymentId: z.string().min(1),
      amountCents: z.number().int().positive(),
    }),
    partitionKey: (data) => data.accountId,
  }),
]);

export type PaymentEvent = EventOf<typeof paymentsCatalogue>;
