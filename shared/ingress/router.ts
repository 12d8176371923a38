import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { Envelope } from '../events/envelope.ts';
import {
  type Destination,
  defaultEventBridgeClient,
  defaultSqsClient,
  EventBridgeDestination,
  SqsDestination,
} from './destinations.ts';
import { NoRouteError, PublisherConfigError } from './errors.ts';

/** Partitioning modes of the publisher (the Ingress construct's `direct` and `eventbridge`). */
export const PUBLISH_MODE = { DIRECT: 'direct', EVENTBRIDGE: 'eventbridge' } as const;
export type PublishMode = (typeof PUBLISH_MODE)[keyof typeof PUBLISH_MODE];

/**
 * One component group's queue in the direct routing table (the Ingress `IngressRoutes` output).
 * `fair`: a standard queue that gets MessageGroupId = the partition key (SQS fair queues).
 */
export const RouteSchema = z
  .object({
    group: z.string().min(1),
    typePrefixes: z.array(z.string().min(1)).min(1),
    queueUrl: z.url(),
    fifo: z.boolean(),
    fair: z.boolean().optional(),
  })
  .refine((route) => !(route.fifo && route.fair), {
    message:
      'a route is fifo or fair, not both: fair queues are standard queues with a MessageGroupId per tenant',
    path: ['fair'],
  });
export type Route = z.infer<typeof RouteSchema>;

/** Decides where an event goes and whether it gets a lane. */
export interface Router {
  readonly mode: PublishMode;
  /** Lane count to stamp on events (EventBridge mode), undefined in direct mode. */
  readonly lanes: number | undefined;
  /** @throws NoRouteError when no destination takes the event */
  destinationsFor(envelope: Envelope, eventRef: string): Destination[];
}

/**
 * Direct mode: each event goes to the queue of every group whose type prefix matches (fan-out).
 *
 * @example
 * const router = directRouter(JSON.parse(outputs.IngressRoutes));
 */
export function directRouter(
  routes: readonly Route[],
  client: SQSClient = defaultSqsClient(),
): Router {
  const parsed = z.array(RouteSchema).min(1).parse(routes);
  const destinations = parsed.map((route) => ({
    prefixes: route.typePrefixes,
    destination: new SqsDestination({
      queueUrl: route.queueUrl,
      fifo: route.fifo,
      fair: route.fair ?? false,
      client,
    }),
  }));
  const allPrefixes = [...new Set(parsed.flatMap((route) => route.typePrefixes))];
  return {
    mode: PUBLISH_MODE.DIRECT,
    lanes: undefined,
    destinationsFor(envelope, eventRef) {
      const matches = destinations
        .filter((entry) => entry.prefixes.some((prefix) => envelope.type.startsWith(prefix)))
        .map((entry) => entry.destination);
      if (matches.length === 0) throw new NoRouteError(eventRef, envelope.type, allPrefixes);
      return matches;
    },
  };
}

/**
 * EventBridge mode: every event goes to the bus with its lane; the Ingress rules route it.
 *
 * @example
 * const router = eventBridgeRouter({ eventBusName: outputs.EventBusName, lanes: 8 });
 */
export function eventBridgeRouter(options: {
  eventBusName: string;
  lanes: number;
  client?: EventBridgeClient;
}): Router {
  if (!Number.isInteger(options.lanes) || options.lanes < 1) {
    throw new PublisherConfigError(
      `lanes must be a positive integer (given ${options.lanes}); use the deployed LaneCount output.`,
    );
  }
  const destination = new EventBridgeDestination({
    eventBusName: options.eventBusName,
    client: options.client ?? defaultEventBridgeClient(),
  });
  return {
    mode: PUBLISH_MODE.EVENTBRIDGE,
    lanes: options.lanes,
    destinationsFor: () => [destination],
  };
}

/**
 * A router from an Ingress's stack outputs (`IngressRoutes`, `EventBusName`, `LaneCount`).
 *
 * @example
 * const router = routerFromOutputs(stackOutputs('Lanes-Pipeline'), 'eventbridge');
 */
export function routerFromOutputs(
  outputs: Record<string, string | undefined>,
  mode: PublishMode,
  clients: { sqs?: SQSClient; eventBridge?: EventBridgeClient } = {},
): Router {
  const need = (key: string): string => {
    const value = outputs[key];
    if (!value) {
      throw new PublisherConfigError(
        `Stack output ${key} is missing or empty (have: ${Object.keys(outputs).join(', ')}); deploy a stack with an Ingress in ${mode} mode.`,
      );
    }
    return value;
  };
  if (mode === PUBLISH_MODE.DIRECT) {
    return directRouter(JSON.parse(need('IngressRoutes')) as Route[], clients.sqs);
  }
  return eventBridgeRouter({
    eventBusName: need('EventBusName'),
    lanes: Number(need('LaneCount')),
    client: clients.eventBridge,
  });
}
