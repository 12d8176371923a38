import { defineEvent, EventCatalogue } from 'lanes/events';
import type { ClaimCheckRef } from 'lanes/workflows';
import { z } from 'zod';

/** Event that asks for an order to be fulfilled; partitioned by customer like other order events. */
export const FULFILMENT_EVENT_TYPE = 'fulfilment.requested';

/** Step names of the order fulfilment workflow (also the queue-dispatched message's `step`). */
export const FULFILMENT_STEPS = {
  RESERVE: 'reserve',
  CHARGE: 'charge',
  NOTIFY: 'notify',
  RELEASE: 'release',
  REFUND: 'refund',
} as const;
export type FulfilmentStep = (typeof FULFILMENT_STEPS)[keyof typeof FULFILMENT_STEPS];

const CustomerId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1-100 of A-Z a-z 0-9 _ . : -');

export const OrderLineSchema = z.object({
  sku: z.string().min(1).max(64),
  quantity: z.number().int().positive().max(10_000),
  /** Free text (engraving, gift message...): what can make an order large. */
  note: z.string().max(100_000).optional(),
});
export type OrderLine = z.infer<typeof OrderLineSchema>;

export const FulfilmentRequestedSchema = z.object({
  orderId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . -'),
  customerId: CustomerId,
  amountCents: z.number().int().positive(),
  currency: z.enum(['EUR', 'USD', 'GBP']),
  email: z.email(),
  lines: z.array(OrderLineSchema).min(1).max(10_000),
});
export type FulfilmentRequested = z.infer<typeof FulfilmentRequestedSchema>;

export const fulfilmentCatalogue = new EventCatalogue([
  defineEvent({
    type: FULFILMENT_EVENT_TYPE,
    schema: FulfilmentRequestedSchema,
    partitionKey: (data) => data.customerId,
  }),
]);

const ClaimCheckRefSchema = z.object({
  claimCheck: z.object({ key: z.string(), bytes: z.number(), sha256: z.string() }),
});

/**
 * The workflow's execution input: small fields inline, the order lines inline when small or as a
 * claim-check reference when large. Only what every step needs travels in state.
 */
export const FulfilmentInputSchema = z.object({
  businessKey: z.string().min(1).max(128),
  correlationId: z.string().min(1).max(128),
  order: z.object({
    orderId: z.string(),
    customerId: z.string(),
    amountCents: z.number().int().positive(),
    currency: z.string(),
    email: z.string(),
    lineCount: z.number().int().nonnegative(),
  }),
  lines: z.union([ClaimCheckRefSchema, z.array(OrderLineSchema)]),
});
export type FulfilmentInput = Omit<z.infer<typeof FulfilmentInputSchema>, 'lines'> & {
  lines: OrderLine[] | ClaimCheckRef;
};

/** Item keys of the workflow table (partition `pk`, sort `sk`). */
export const FULFILMENT_KEYS = {
  order: (orderId: string) => `order#${orderId}`,
  RESERVATION_SK: 'reservation',
  PAYMENT_SK: 'payment',
  NOTIFICATION_SK: 'notification',
  step: (step: string) => `step#${step}`,
  CLAIM_CHECK_SK: 'claim',
} as const;
