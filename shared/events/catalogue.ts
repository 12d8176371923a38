import type { z } from 'zod';
import type { Envelope } from './envelope.ts';
import {
  DuplicateEventTypeError,
  type FieldIssue,
  InvalidEventError,
  UnknownEventTypeError,
} from './errors.ts';

/**
 * One event type: its payload schema and how its partition key is derived from the payload.
 *
 * @example
 * const OrderCreated = defineEvent({
 *   type: 'orders.created',
 *   schema: z.object({ customerId: z.string(), orderId: z.string() }),
 *   partitionKey: (data) => data.customerId,
 * });
 */
export interface EventDefinition<
  TType extends string = string,
  TSchema extends z.ZodType = z.ZodType,
> {
  readonly type: TType;
  readonly schema: TSchema;
  /** Derives the partition key from the validated payload. */
  partitionKey(data: z.output<TSchema>): string;
}

/** Declares an event type (identity function that keeps its type name and payload type). */
export function defineEvent<const TType extends string, TSchema extends z.ZodType>(
  definition: EventDefinition<TType, TSchema>,
): EventDefinition<TType, TSchema> {
  return definition;
}

/**
 * The envelope of one event type of a definition list: `type` narrowed to its name, `data` to
 * its schema's output. A union over the list, so `switch (event.type)` narrows `event.data`.
 */
export type EventOfDefinitions<TDefinitions extends readonly EventDefinition[]> = {
  [K in keyof TDefinitions]: TDefinitions[K] extends EventDefinition<infer TType, infer TSchema>
    ? Envelope<z.output<TSchema>> & { readonly type: TType }
    : never;
}[number];

/**
 * The typed envelope a catalogue's worker receives: the zod schemas are the only source of the
 * payload types.
 *
 * @example
 * type OrderEvent = EventOf<typeof ordersCatalogue>;
 */
export type EventOf<TCatalogue> =
  TCatalogue extends EventCatalogue<infer TDefinitions> ? EventOfDefinitions<TDefinitions> : never;

/** Turns zod issues into field issues with a dotted path under `prefix`. */
export function toFieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

/**
 * The set of event types a publisher may send and a worker may receive.
 *
 * @example
 * const catalogue = new EventCatalogue([OrderCreated, OrderPaid]);
 * const { data, partitionKey } = catalogue.parse('orders.created', payload, 'event #3');
 */
export class EventCatalogue<
  const TDefinitions extends readonly EventDefinition[] = readonly EventDefinition[],
> {
  readonly #definitions = new Map<string, EventDefinition>();

  constructor(definitions: TDefinitions) {
    for (const definition of definitions) {
      if (this.#definitions.has(definition.type))
        throw new DuplicateEventTypeError(definition.type);
      this.#definitions.set(definition.type, definition);
    }
  }

  /** Registered event types, in registration order. */
  get types(): string[] {
    return [...this.#definitions.keys()];
  }

  /**
   * Validates a payload against the schema of its type and derives its partition key.
   * @throws UnknownEventTypeError when the type is not registered
   * @throws InvalidEventError naming `eventRef` and each failing `data.*` field
   */
  parse(type: string, data: unknown, eventRef: string): { data: unknown; partitionKey: string } {
    const definition = this.#definitions.get(type);
    if (!definition) throw new UnknownEventTypeError(eventRef, type, this.types);
    const result = definition.schema.safeParse(data);
    if (!result.success) {
      throw new InvalidEventError(eventRef, toFieldIssues(result.error, 'data'), {
        cause: result.error,
      });
    }
    return { data: result.data, partitionKey: definition.partitionKey(result.data) };
  }
}
