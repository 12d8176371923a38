import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { ProcessEvent } from '#functions/worker-handler.ts';
import { createWorkerHandler } from '#functions/worker-handler.ts';
import { defineEvent, EventCatalogue, type EventOf } from '#shared/events/catalogue.ts';
import { DuplicateEventTypeError } from '#shared/events/errors.ts';

const catalogue = new EventCatalogue([
  defineEvent({
    type: 'accounts.opened',
    schema: z.object({ accountId: z.string(), currency: z.enum(['EUR', 'USD']) }),
    partitionKey: (data) => data.accountId,
  }),
  defineEvent({
    type: 'accounts.closed',
    schema: z.object({ accountId: z.string(), reason: z.string() }),
    partitionKey: (data) => data.accountId,
  }),
]);
type AccountEvent = EventOf<typeof catalogue>;

describe('typed event catalogue', () => {
  it('types each event by its schema, narrowed by `type` (checked by tsc: npm run typecheck)', () => {
    const seen: string[] = [];
    const processEvent: ProcessEvent<AccountEvent> = async (event) => {
      if (event.type === 'accounts.opened') {
        expectTypeOf(event.data.currency).toEqualTypeOf<'EUR' | 'USD'>();
        seen.push(event.data.currency);
      } else {
        expectTypeOf(event.type).toEqualTypeOf<'accounts.closed'>();
        expectTypeOf(event.data.reason).toEqualTypeOf<string>();
        seen.push(event.data.reason);
      }
    };
    const handler = createWorkerHandler({ catalogue, processEvent });

    expect(typeof handler).toBe('function');
    expect(catalogue.types).toEqual(['accounts.opened', 'accounts.closed']);
    expect(seen).toEqual([]);
  });

  it('parses with the schema of the type and derives the key, the values the types describe', () => {
    const parsed = catalogue.parse(
      'accounts.opened',
      { accountId: 'a-1', currency: 'EUR' },
      'event #0',
    );

    expect(parsed).toEqual({ data: { accountId: 'a-1', currency: 'EUR' }, partitionKey: 'a-1' });
  });

  it('refuses a type defined twice, naming it', () => {
    const twice = () =>
      new EventCatalogue([
        defineEvent({ type: 'a.b', schema: z.object({}), partitionKey: () => 'k' }),
        defineEvent({ type: 'a.b', schema: z.object({}), partitionKey: () => 'k' }),
      ]);

    expect(twice).toThrow(DuplicateEventTypeError);
    expect(twice).toThrow(/Event type a\.b is defined twice/);
  });
});
