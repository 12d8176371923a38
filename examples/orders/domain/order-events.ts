import { defineEvent, EventCatalogue, type EventOf } from 'lanes/events';
import { z } from 'zod';

/** Order events of the reference pipeline; all are partitioned by customer. */
export const ORDER_EVENT_TYPES = {
  CREATED: 'orders.created',
  PAID: 'orders.paid',
  CANCELLED: 'orders.cancelled',
} as const;

const CustomerId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1-100 of A-Z a-z 0-9 _ . : -');

export const OrderCreatedSchema = z.object({
  orderId: z.string().min(1).max(64),
  customerId: CustomerId,
  amountCents: z.number().int().positive(),
  currency: z.enum(['EUR', 'USD', 'GBP']),
});

export const OrderPaidSchema = z.object({
  orderId: z.string().min(1).max(64),
  customerId: CustomerId,
  amountCents: z.number().int().positive(),
});

export const OrderCancelledSchema = z.object({
  orderId: z.string().min(1).max(64),
  customerId: CustomerId,
  reason: z.string().min(1).max(500),
});

export type OrderCreated = z.infer<typeof OrderCreatedSchema>;
export type OrderPaid = z.infer<typeof OrderPaidSchema>;
export type OrderCancelled = z.infer<typeof OrderCancelledSchema>;
export type OrderEventData = OrderCreated | OrderPaid | OrderCancelled;

/**
 * The catalogue of the reference orders pipeline.
 *
 * @example
 * const publisher = new Publisher({ catalogue: ordersCatalogue, transport });
 */
export const ordersCatalogue = new EventCatalogue([
  defineEvent({
    type: ORDER_EVENT_TYPES.CREATED,
    schema: OrderCreatedSchema,
    partitionKey: (data) => data.customerId,
  }),
  defineEvent({
    type: ORDER_EVENT_TYPES.PAID,
    schema: OrderPaidSchema,
    partitionKey: (data) => data.customerId,
  }),
  defineEvent({
    type: ORDER_EVENT_TYPES.CANCELLED,
    schema: OrderCancelledSchema,
    partitionKey: (data) => data.customerId,
  }),
]);

/** An order event as the workers receive it: `type` narrows `data`. */
export type OrderEvent = EventOf<typeof ordersCatalogue>;
