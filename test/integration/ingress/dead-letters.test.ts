import { describe, expect, it } from 'vitest';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import { placeHold, releaseHold } from '#orders/domain/orders.ts';
import { listDeadLetters } from '#shared/dlq/list.ts';
import { type RedriveStrategy, redriveDeadLetters } from '#shared/dlq/redrive.ts';
import { InvalidEventError } from '#shared/events/errors.ts';
import { Publisher, type PublishInput } from '#shared/ingress/publisher.ts';
import { routerFromOutputs } from '#shared/ingress/router.ts';
import { pipeline, runId, waitFor } from '#test/integration/ingress/support.ts';

const created = (customerId: string, n: number): PublishInput => ({
  type: 'orders.created',
  data: { orderId: `${customerId}-o${n}`, customerId, amountCents: 100 + n, currency: 'EUR' },
});

describe('Lanes-Pipeline dead letters', () => {
  it.each<[RedriveStrategy]>([['move-task'], ['client']])(
    'a poison event goes to the DLQ with its reason while its batch succeeds, and is processed once after the fix and a redrive (%s)',
    { timeout: 240_000 },
    async (strategy) => {
      const { outputs, reader, tableName, documentClient } = pipeline();
      const run = runId(`poison-${strategy}`);
      const poisoned = `${run}-held`;
      const healthy = [0, 1, 2, 3].map((k) => `${run}-c${k}`);
      await placeHold(poisoned, 'fraud review', { client: documentClient, tableName });
      const publisher = new Publisher({
        catalogue: ordersCatalogue,
        router: routerFromOutputs(outputs, 'direct'),
        concurrency: 1,
      });

      // One batch of 9: the held customer's order in the middle of 8 healthy ones.
      const inputs = [
        ...healthy.map((c) => created(c, 1)),
        created(poisoned, 1),
        ...healthy.map((c) => created(c, 2)),
      ];
      const { sent, results } = await publisher.publish(inputs);
      expect(sent).toBe(9);
      const poisonId = results[4]?.envelope?.id as string;

      const letter = await waitFor(
        'the poison event in the DLQ and the 8 healthy ones processed',
        async () => {
          const { processed } = await reader.count(healthy);
          const letters = await listDeadLetters(outputs.OrdersDlqUrl as string);
          const found = letters.find((l) => l.event?.id === poisonId);
          return {
            done: found && processed === 8 ? found : undefined,
            progress: `healthy processed ${processed}/8, poison in DLQ: ${Boolean(found)}`,
          };
        },
        { timeoutMs: 120_000 },
      );
      expect(letter.reason).toMatchObject({
        source: 'worker',
        errorName: 'CustomerOnHoldError',
        sourceQueueArn: expect.stringContaining('Orders'),
      });
      expect(letter.reason.errorMessage).toContain(
        `customer ${poisoned} is on hold (fraud review)`,
      );
      expect(letter.event).toMatchObject({
        partitionKey: poisoned,
        sequence: 1,
        type: 'orders.created',
      });
      expect(await reader.orderResults(poisoned)).toEqual([]);

      await releaseHold(poisoned, { client: documentClient, tableName });
      const report = await redriveDeadLetters({
        deadLetterQueueUrl: outputs.OrdersDlqUrl as string,
        destinationQueueUrl: outputs.OrdersQueueUrl as string,
        strategy,
      });
      expect(report.strategy).toBe(strategy);
      expect(report.moved).toBeGreaterThanOrEqual(1);

      const items = await waitFor(
        'the redriven event to be processed',
        async () => {
          const found = await reader.orderResults(poisoned);
          return {
            done: found.length > 0 ? found : undefined,
            progress: `${found.length} result(s)`,
          };
        },
        { timeoutMs: 90_000 },
      );
      expect(items.map((i) => [i.eventId, i.ordinal, i.sequence])).toEqual([[poisonId, 1, 1]]);
      // Nothing lost or duplicated: 8 healthy results, one each.
      for (const customer of healthy) {
        expect((await reader.orderResults(customer)).map((i) => i.sequence).sort()).toEqual([1, 2]);
      }
      const remaining = await listDeadLetters(outputs.OrdersDlqUrl as string);
      expect(remaining.find((l) => l.event?.id === poisonId)).toBeUndefined();
    },
  );

  it('rejects a malformed event with a clear error and sends the valid ones', {
    timeout: 120_000,
  }, async () => {
    const { outputs, reader } = pipeline();
    const run = runId('malformed');
    const customer = `${run}-c0`;
    const publisher = new Publisher({
      catalogue: ordersCatalogue,
      router: routerFromOutputs(outputs, 'eventbridge'),
    });

    const summary = await publisher.publish([
      created(customer, 1),
      { type: 'orders.created', data: { orderId: 'x', customerId: customer, amountCents: 5 } },
      {
        type: 'orders.created',
        data: { orderId: 'y', customerId: 'has space', amountCents: 5, currency: 'EUR' },
      },
      created(customer, 2),
    ]);

    expect(summary).toMatchObject({ sent: 2, rejected: 2, failed: 0 });
    expect(summary.results[1]?.error).toBeInstanceOf(InvalidEventError);
    expect(summary.results[1]?.error?.message).toMatch(
      /^Invalid event #1 \(id [0-9a-f-]+, type orders\.created\): data\.currency: .*Fix these fields and publish it again\.$/,
    );
    expect(summary.results[2]?.error?.message).toMatch(/data\.customerId: must be 1-100 of/);
    const items = await waitFor(
      'the two valid events to be processed',
      async () => {
        const found = await reader.orderResults(customer);
        return { done: found.length === 2 ? found : undefined, progress: `${found.length}/2` };
      },
      { timeoutMs: 90_000 },
    );
    expect(items.map((i) => i.sequence).sort()).toEqual([1, 2]);
  });
});
