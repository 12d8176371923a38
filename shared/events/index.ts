/**
 * `lanes/events`: the event envelope every lanes event travels in, and the catalogue of event
 * types (zod schemas and partition keys) that publishers and workers share.
 *
 * @example
 * import { defineEvent, EventCatalogue } from 'lanes/events';
 * const catalogue = new EventCatalogue([defineEvent({ type: 'orders.created', schema, partitionKey: (d) => d.customerId })]);
 */
export * from './catalogue.ts';
export * from './envelope.ts';
export * from './errors.ts';
export * from './partition-key.ts';
