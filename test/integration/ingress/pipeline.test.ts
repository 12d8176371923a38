import { describe, expect, it } from 'vitest';
import { orderInputs } from '#orders/demo.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import type { OrderResultItem } from '#orders/domain/results-table.ts';
import { laneOf } from '#shared/ingress/lanes.ts';
import { Publisher } from '#shared/ingress/publisher.ts';
import { type PublishMode, routerFromOutputs } from '#shared/ingress/router.ts';
import {
  pipeline,
  runId,
  sequencesInProcessingOrder,
  waitFor,
} from '#test/integration/ingress/support.ts';

/**
 * Sizes from the issue: 2,000 events over 50 keys per mode. LANES_INGRESS_EVENTS /
 * LANES_INGRESS_KEYS override them (for a quick local loop only; CI runs the defaults).
 */
const EVENTS = Number(process.env.LANES_INGRESS_EVENTS ?? 2_000);
const KEYS = Number(process.env.LANES_INGRESS_KEYS ?? 50);
/**
 * The embedded LocalStack's mapping runs up to 10 orders batches at once (about 15-50 events/s on
 * 2 shared cores, bound by LocalStack's DynamoDB front end): allow 10 events/s after 2 minutes.
 */
const TIMEOUT_MS = 120_000 + EVENTS * 100;

async function publishAndWait(mode: PublishMode) {
  const { outputs, reader } = pipeline();
  const run = runId(`ingress-${mode}`);
  const { inputs, customers, expectedPerKey } = orderInputs({
    runId: run,
    events: EVENTS,
    keys: KEYS,
  });
  // Two publishers at once, each with half of the keys, each sending 4 batches at a time.
  const halves = [0, 1].map((half) =>
    inputs.filter(
      (input) => customers.indexOf((input.data as { customerId: string }).customerId) % 2 === half,
    ),
  );
  const started = Date.now();
  const summaries = await Promise.all(
    halves.map((half) =>
      new Publisher({
        catalogue: ordersCatalogue,
        router: routerFromOutputs(outputs, mode),
        source: 'lanes.test',
      }).publish(half),
    ),
  );
  const sent = summaries.reduce((sum, s) => sum + s.sent, 0);
  expect(sent).toBe(EVENTS);

  const progress = reader.progress(expectedPerKey);
  await waitFor(
    `${EVENTS} ${mode} events to be processed and notified`,
    async () => {
      const { processed, notified } = await progress.count();
      return {
        done: processed >= EVENTS && notified >= EVENTS ? true : undefined,
        progress: `processed ${processed}/${EVENTS}, notified ${notified}/${EVENTS}`,
      };
    },
    { timeoutMs: TIMEOUT_MS, intervalMs: 2_000 },
  );
  const elapsedS = (Date.now() - started) / 1000;
  console.log(
    `[ingress] ${mode}: ${EVENTS} events over ${KEYS} keys in ${elapsedS.toFixed(1)} s (${(EVENTS / elapsedS).toFixed(1)} events/s)`,
  );

  const perKey = new Map<string, OrderResultItem[]>();
  for (const customer of customers) perKey.set(customer, await reader.orderResults(customer));
  const counts = await reader.count(customers);
  return { perKey, counts, customers };
}

describe('Lanes-Pipeline ingress', () => {
  it(`direct mode: ${EVENTS} events over ${KEYS} keys, shuffled and published concurrently, are all processed once and in per-key order`, {
    timeout: TIMEOUT_MS + 60_000,
  }, async () => {
    const { perKey, counts } = await publishAndWait('direct');

    expect(counts).toEqual({ processed: EVENTS, notified: EVENTS });
    for (const [customer, items] of perKey) {
      const expected = Array.from({ length: items.length }, (_, i) => i + 1);
      expect(sequencesInProcessingOrder(items), `order of ${customer}`).toEqual(expected);
      expect(items.every((item) => item.delivery === 'direct' && item.lane === null)).toBe(true);
    }
  });

  it(`eventbridge mode: ${EVENTS} events over ${KEYS} keys are all processed once, in per-key order, each key in its own lane`, {
    timeout: TIMEOUT_MS + 60_000,
  }, async () => {
    const { outputs } = pipeline();
    const lanes = Number(outputs.LaneCount);
    const { perKey, counts } = await publishAndWait('eventbridge');

    expect(counts).toEqual({ processed: EVENTS, notified: EVENTS });
    for (const [customer, items] of perKey) {
      const expected = Array.from({ length: items.length }, (_, i) => i + 1);
      // Exactly once, and in the publisher's per-key order: EventBridge delivers each entry on
      // its own (LocalStack uses a thread per event), the orders worker resequences.
      expect(sequencesInProcessingOrder(items), `order of ${customer}`).toEqual(expected);
      // One lane per key, the one the publisher's hash gives.
      expect(new Set(items.map((item) => item.lane)), `lanes of ${customer}`).toEqual(
        new Set([laneOf(customer, lanes)]),
      );
    }
    const { reader } = pipeline();
    expect(await reader.countParked([...perKey.keys()])).toBe(0);
  });
});
