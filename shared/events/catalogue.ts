import type { z } from 'zod';
import { type FieldIssue, InvalidEventError, UnknownEventTypeError } from './errors.ts';

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
export interface EventDefinition<TSchema extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: TSchema;
  readonly partitionKey: (data: z.output<TSchema>) => string;
}

/** Declares an event type (identity function that keeps the payload type inferred). */
export function defineEvent<TSchema extends z.ZodType>(
  definition: EventDefinition<TSchema>,
): EventDefinition<TSchema> {
  return definition;
}

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
export class EventCatalogue {
  readonly #definitions = new Map<string, EventDefinition>();

  constructor(definitions: readonly EventDefinition[]) {
    for (const definition of definitions) {
      if (this.#definitions.has(definition.type)) {
        throw new Error(
          `Event type ${definition.type} is defined twice in the catalogue: keep one definition per type.`,
        );
      }
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
