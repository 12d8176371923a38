/**
 * `lanes/publisher`: publishing into partitioned ingress. The `Publisher` validates events
 * against the catalogue, numbers them per key and sends them in order per key, to SQS FIFO
 * queues (direct) or over EventBridge lanes; the router reads the Ingress construct's outputs.
 *
 * @example
 * import { Publisher, routerFromOutputs } from 'lanes/publisher';
 * const publisher = new Publisher({ catalogue, router: routerFromOutputs(outputs) });
 */
export * from './destinations.ts';
export * from './errors.ts';
export * from './group-id.ts';
export * from './lanes.ts';
export * from './publisher.ts';
export * from './retry.ts';
export * from './router.ts';
export type { Delivery as SendDelivery, DeliveryResult, SendOptions } from './sender.ts';
