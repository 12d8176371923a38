import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import { defineEvent, EventCatalogue } from '#shared/events/catalogue.ts';
import { InvalidEventError, UnknownEventTypeError } from '#shared/events/errors.ts';
import {
  DeliveryError,
  DuplicateEventIdError,
  EventTooLargeError,
  NoRouteError,
} from '#shared/ingress/errors.ts';
import { laneOf } from '#shared/ingress/lanes.ts';
import { Publisher, type PublishInput } from '#shared/ingress/publisher.ts';
import { directRouter } from '#shared/ingress/router.ts';
import { RecordingDestination, routerTo } from '#test/unit/ingress/support.ts';

const order = (customerId: string, orderId: string, amountCents = 100): PublishInput => ({
  type: 'orders.created',
  data: { orderId, customerId, amountCents, currency: 'EUR' },
});

function publisherFor(
  destination: RecordingDestination,
  extra: { lanes?: number; maxBatchBytes?: number; concurrency?: number } = {},
) {
  const sleeps: number[] = [];
  const publisher = new Publisher({
    catalogue: ordersCatalogue,
    router: routerTo([destination], extra.lanes),
    maxBatchBytes: extra.maxBatchBytes,
    concurrency: extra.concurrency,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  });
  return { publisher, sleeps };
}

describe('Publisher', () => {
  describe('validation', () => {
    it('rejects a malformed event naming it and the field, and still sends the valid ones', async () => {
      const destination = new RecordingDestination();
      const { publisher } = publisherFor(destination);

      const summary = await publisher.publish([
        order('c1', 'o1'),
        {
          type: 'orders.created',
          data: { orderId: 'o2', customerId: 'c1', amountCents: -5, currency: 'EUR' },
        },
        order('c2', 'o3'),
      ]);

      expect(summary).toMatchObject({ sent: 2, rejected: 1, failed: 0 });
      const rejected = summary.results[1];
      expect(rejected?.status).toBe('rejected');
      expect(rejected?.error).toBeInstanceOf(InvalidEventError);
      expect(rejected?.error?.message).toMatch(
        /^Invalid event #1 \(id [0-9a-f-]+, type orders\.created\): data\.amountCents: /,
      );
      expect(destination.delivered.map((e) => e.envelope.data)).toEqual([
        expect.objectContaining({ orderId: 'o1' }),
        expect.objectContaining({ orderId: 'o3' }),
      ]);
    });

    it('rejects an unknown type with the known types', async () => {
      const { publisher } = publisherFor(new RecordingDestination());
      const { results } = await publisher.publish([{ type: 'orders.refunded', data: {} }]);
      expect(results[0]?.error).toBeInstanceOf(UnknownEventTypeError);
      expect(results[0]?.error?.message).toMatch(
        /type "orders\.refunded" is not in the event catalogue \(known types: orders\.created, orders\.paid, orders\.cancelled\)/,
      );
    });

    it('rejects an input that is not an object with a type', async () => {
      const { publisher } = publisherFor(new RecordingDestination());
      const { results } = await publisher.publish([{ data: {} } as unknown as PublishInput]);
      expect(results[0]?.error?.message).toMatch(/^Invalid event #0: type: /);
    });

    it('rejects an event above the size limit with its size and the limit', async () => {
      const destination = new RecordingDestination();
      const { publisher } = publisherFor(destination, { maxBatchBytes: 600 });
      const cancel = (reason: string) => ({
        type: 'orders.cancelled',
        data: { orderId: 'o1', customerId: 'c1', reason },
      });
      const { results, sent } = await publisher.publish([
        cancel('short'),
        cancel('x'.repeat(450)),
        order('c1', 'o2'),
      ]);
      expect(results[1]?.error).toBeInstanceOf(EventTooLargeError);
      expect(results[1]?.error?.message).toMatch(
        /^Event #1 \(id .+, type orders\.cancelled\) is \d{3} bytes once serialized, above the 600-byte limit/,
      );
      expect(sent).toBe(2);
    });
  });

  describe('duplicate ids in one call', () => {
    it('refuses each later event with an id already used in the call, naming it and the field, and sends the rest', async () => {
      const destination = new RecordingDestination();
      const { publisher } = publisherFor(destination);

      const summary = await publisher.publish([
        { ...order('c1', 'o1'), id: 'evt-1' },
        { ...order('c2', 'o2'), id: 'evt-2' },
        { ...order('c1', 'o3'), id: 'evt-1' },
        { ...order('c3', 'o4'), id: 'evt-3' },
        { ...order('c3', 'o5'), id: 'evt-1' },
      ]);

      expect(summary).toMatchObject({ sent: 3, rejected: 2, failed: 0 });
      expect(summary.results.map((r) => r.status)).toEqual([
        'sent',
        'sent',
        'rejected',
        'sent',
        'rejected',
      ]);
      const refused = summary.results[2]?.error as DuplicateEventIdError;
      expect(refused).toBeInstanceOf(DuplicateEventIdError);
      expect(refused).toMatchObject({ eventId: 'evt-1', firstIndex: 0 });
      expect(refused.message).toMatch(
        /^Event #2 \(id evt-1, type orders\.created\): field id "evt-1" is already used by event #0 of the same publish call/,
      );
      expect(summary.results[4]?.error?.message).toMatch(/^Event #4 \(id evt-1, .*by event #0/);
      expect(destination.delivered.map((e) => e.envelope.id)).toEqual(['evt-1', 'evt-2', 'evt-3']);
      // A refused event takes no sequence number: c1 and c3 each have one event, numbered 1.
      expect(destination.delivered.map((e) => e.envelope.sequence)).toEqual([1, 1, 1]);
    });

    it('lets an id through when the earlier event with it was itself rejected', async () => {
      const destination = new RecordingDestination();
      const { publisher } = publisherFor(destination);
      const { results } = await publisher.publish([
        { ...order('c1', 'o1', -1), id: 'evt-1' },
        { ...order('c1', 'o2'), id: 'evt-1' },
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'sent']);
      expect(results[0]?.error).toBeInstanceOf(InvalidEventError);
    });

    it('refuses duplicates in EventBridge mode too (where the bus would deliver both)', async () => {
      const destination = new RecordingDestination();
      const { publisher } = publisherFor(destination, { lanes: 8 });
      const { results } = await publisher.publish([
        { ...order('c1', 'o1'), id: 'same' },
        { ...order('c2', 'o2'), id: 'same' },
      ]);
      expect(results[1]?.error).toBeInstanceOf(DuplicateEventIdError);
      expect(destination.delivered).toHaveLength(1);
    });
  });

  describe('partition keys', () => {
    const TenantNoted = defineEvent({
      type: 'tenants.noted',
      schema: z.object({ tenant: z.string(), note: z.string() }),
      partitionKey: (data) => data.tenant,
    });
    const tenantsPublisher = (destination: RecordingDestination) =>
      new Publisher({
        catalogue: new EventCatalogue([TenantNoted]),
        router: routerTo([destination]),
      });
    const note = (tenant: string) => ({ type: 'tenants.noted', data: { tenant, note: 'n' } });

    it('accepts any Unicode key up to 512 UTF-8 bytes and sends it unchanged', async () => {
      const destination = new RecordingDestination();
      const keys = ['tenant-日本', 'ACME Corp', 'acme corp', 'é'.repeat(256)];
      const { sent } = await tenantsPublisher(destination).publish(keys.map(note));
      expect(sent).toBe(4);
      expect(destination.delivered.map((e) => e.envelope.partitionKey)).toEqual(keys);
    });

    it('refuses an empty or too long key, naming the event and the partitionKey field', async () => {
      const destination = new RecordingDestination();
      const { results, sent } = await tenantsPublisher(destination).publish([
        note(''),
        note('日'.repeat(171)),
        note('ok'),
      ]);
      expect(sent).toBe(1);
      expect(results[0]?.error).toBeInstanceOf(InvalidEventError);
      expect(results[0]?.error?.message).toMatch(
        /^Invalid event #0 \(id .+, type tenants\.noted\): partitionKey: is empty; /,
      );
      expect(results[1]?.error?.message).toMatch(
        /^Invalid event #1 \(id .+, type tenants\.noted\): partitionKey: is 513 bytes in UTF-8, above the 512-byte limit/,
      );
    });
  });

  describe('envelope', () => {
    it('derives the partition key and stamps a per-key sequence in input order', async () => {
      const destination = new RecordingDestination();
      const { publisher } = publisherFor(destination);
      await publisher.publish([order('a', '1'), order('b', '2'), order('a', '3')]);
      await publisher.publish([order('a', '4')]);
      const byKey = (key: string) =>
        destination.delivered
          .filter((e) => e.envelope.partitionKey === key)
          .map((e) => e.envelope.sequence);
      expect(byKey('a')).toEqual([1, 2, 3]);
      expect(byKey('b')).toEqual([1]);
      expect(destination.delivered[0]?.envelope).toMatchObject({
        type: 'orders.created',
        source: 'lanes.publisher',
        time: '2026-01-01T00:00:00.000Z',
      });
      expect(destination.delivered[0]?.envelope).not.toHaveProperty('lane');
      expect(new Set(destination.delivered.map((e) => e.envelope.producer))).toEqual(
        new Set([publisher.producerId]),
      );
    });

    it('stamps the lane of the key in EventBridge mode', async () => {
      const destination = new RecordingDestination();
      const { publisher } = publisherFor(destination, { lanes: 8 });
      await publisher.publish([order('customer-1', '1'), order('customer-2', '2')]);
      for (const event of destination.delivered) {
        expect(event.envelope.lane).toBe(laneOf(event.envelope.partitionKey, 8));
      }
    });
  });

  describe('batching and order', () => {
    it('sends batches of at most 10 with at most one event per key', async () => {
      const destination = new RecordingDestination();
      const { publisher } = publisherFor(destination);
      const inputs = Array.from({ length: 60 }, (_, i) => order(`k${i % 12}`, `o${i}`));
      const { sent } = await publisher.publish(inputs);
      expect(sent).toBe(60);
      for (const call of destination.calls) {
        expect(call.length).toBeLessThanOrEqual(10);
        const keys = call.map((e) => e.envelope.partitionKey);
        expect(new Set(keys).size).toBe(keys.length);
      }
    });

    it('keeps per-key order even when entries fail and are retried', async () => {
      const destination = new RecordingDestination();
      destination.answer = (event, attempt) =>
        event.envelope.sequence % 3 === 0 && attempt < 3
          ? { ok: false, retryable: true, code: 'InternalError', message: 'try again' }
          : { ok: true };
      const { publisher, sleeps } = publisherFor(destination);
      const inputs = Array.from({ length: 40 }, (_, i) => order(`k${i % 4}`, `o${i}`));

      const { sent, results } = await publisher.publish(inputs);

      expect(sent).toBe(40);
      for (const key of ['k0', 'k1', 'k2', 'k3']) {
        const sequences = destination.delivered
          .filter((e) => e.envelope.partitionKey === key)
          .map((e) => e.envelope.sequence);
        expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      }
      expect(Math.max(...results.map((r) => r.attempts))).toBe(3);
      expect(sleeps.length).toBeGreaterThan(0);
    });
  });

  describe('retries', () => {
    it('retries only the failed entries, with backoff', async () => {
      const destination = new RecordingDestination();
      destination.answer = (event, attempt) =>
        event.envelope.partitionKey === 'b' && attempt === 1
          ? { ok: false, retryable: true, code: 'ThrottlingException', message: 'slow down' }
          : { ok: true };
      const { publisher, sleeps } = publisherFor(destination, { concurrency: 1 });

      const { results } = await publisher.publish([
        order('a', '1'),
        order('b', '2'),
        order('c', '3'),
      ]);

      expect(destination.calls.map((call) => call.map((e) => e.envelope.partitionKey))).toEqual([
        ['a', 'b', 'c'],
        ['b'],
      ]);
      expect(results.map((r) => [r.status, r.attempts])).toEqual([
        ['sent', 1],
        ['sent', 2],
        ['sent', 1],
      ]);
      expect(sleeps).toHaveLength(1);
    });

    it('does not retry a sender fault and reports it per event', async () => {
      const destination = new RecordingDestination();
      destination.answer = (event) =>
        event.envelope.partitionKey === 'bad'
          ? { ok: false, retryable: false, code: 'InvalidParameterValue', message: 'bad group id' }
          : { ok: true };
      const { publisher } = publisherFor(destination, { concurrency: 1 });

      const { results, failed, sent } = await publisher.publish([
        order('ok', '1'),
        order('bad', '2'),
      ]);

      expect({ failed, sent }).toEqual({ failed: 1, sent: 1 });
      expect(results[1]?.error).toBeInstanceOf(DeliveryError);
      expect(results[1]?.error?.message).toMatch(
        /^Event #1 \(id .+, type orders\.created\) was not delivered to memory:\/\/queue after 1 attempt\(s\): InvalidParameterValue: bad group id/,
      );
      expect(destination.calls).toHaveLength(1);
    });

    it('gives up after maxAttempts when a whole call keeps throwing', async () => {
      const destination = new RecordingDestination();
      destination.sendBatch = async () => {
        throw Object.assign(new Error('socket hang up'), { name: 'NetworkingError' });
      };
      const publisher = new Publisher({
        catalogue: ordersCatalogue,
        router: routerTo([destination]),
        retry: { maxAttempts: 3 },
        sleep: async () => {},
      });
      const { results } = await publisher.publish([order('a', '1')]);
      expect(results[0]).toMatchObject({ status: 'failed', attempts: 3 });
      expect(results[0]?.error?.message).toMatch(
        /after 3 attempt\(s\): NetworkingError: socket hang up/,
      );
    });
  });

  describe('direct routing', () => {
    it('fans an event out to every group whose prefix matches, and rejects unrouted types', async () => {
      const router = directRouter([
        {
          group: 'orders',
          typePrefixes: ['orders.'],
          queueUrl: 'https://sqs.local/1/orders.fifo',
          fifo: true,
        },
        {
          group: 'mail',
          typePrefixes: ['orders.created'],
          queueUrl: 'https://sqs.local/1/mail',
          fifo: false,
        },
      ]);
      const envelope = (type: string) => ({
        id: '1',
        type,
        source: 's',
        time: '2026-01-01T00:00:00Z',
        partitionKey: 'k',
        sequence: 1,
        data: {},
      });
      expect(router.destinationsFor(envelope('orders.created'), '#0').map((d) => d.name)).toEqual([
        'https://sqs.local/1/orders.fifo',
        'https://sqs.local/1/mail',
      ]);
      expect(router.destinationsFor(envelope('orders.paid'), '#0')).toHaveLength(1);
      expect(() => router.destinationsFor(envelope('billing.run'), '#3')).toThrow(NoRouteError);
      expect(() => router.destinationsFor(envelope('billing.run'), '#3')).toThrow(
        /Event #3 has type billing\.run, which no component group subscribes to \(prefixes: orders\., orders\.created\)/,
      );
    });
  });
});
