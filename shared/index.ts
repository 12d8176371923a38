/**
 * `lanes`: the runtime a service needs, in one import: events and their catalogue, the
 * publisher, and the worker handler factories. Constructs are in `lanes/constructs`;
 * coordination, workflows, DLQ tools and the capacity planner have their own entry points.
 *
 * @example
 * import { createWorkerHandler, EventCatalogue, Publisher } from 'lanes';
 */
export * from '../functions/index.ts';
export * from './events/index.ts';
export * from './ingress/index.ts';
