import { queueDepth } from 'lanes/dlq';
import { readOutputs } from 'lanes/ops';
import { Publisher, type PublishInput, type PublishMode, routerFromOutputs } from 'lanes/publisher';
import { ORDER_EVENT_TYPES, ordersCatalogue } from './domain/order-events.ts';
import { ResultsReader } from './domain/results-reader.ts';

export const PIPELINE_STACK = 'Lanes-Pipeline';

export interface DemoOptions {
  readonly events: number;
  readonly keys: number;
  readonly mode: PublishMode;
  /** @default - 60 s plus 100 ms per event */
  readonly timeoutMs?: number;
  /** Where progress and the report go. @default - console.error */
  readonly log?: (line: string) => void;
}

export interface DemoReport {
  readonly mode: PublishMode;
  readonly runId: string;
  readonly events: number;
  readonly keys: number;
  /** Accepted by SQS or EventBridge. */
  readonly published: number;
  /** Rejected by the publisher's validation or not delivered. */
  readonly publishFailed: number;
  /** Hot-path effects (order results) found in the results table. */
  readonly processed: number;
  /** Cold-path effects (notifications) found in the results table. */
  readonly notified: number;
  /** Events without a hot-path effect when the demo ended. */
  readonly failed: number;
  /** Messages in the two dead-letter queues at the end (all runs, not just this one). */
  readonly inDlq: number;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  readonly timedOut: boolean;
}

/**
 * Order events over `keys` customers of run `runId`, shuffled across customers while each
 * customer's events keep their order (the publisher numbers them per customer in array order).
 * Each customer's stream alternates orders.created and orders.paid.
 *
 * @example
 * const inputs = orderInputs({ runId: 'r1', events: 300, keys: 20 });
 */
export function orderInputs(options: {
  runId: string;
  events: number;
  keys: number;
  random?: () => number;
}): { inputs: PublishInput[]; customers: string[]; expectedPerKey: Map<string, number> } {
  const random = options.random ?? Math.random;
  const customers = Array.from({ length: options.keys }, (_, k) => `${options.runId}-c${k}`);
  const perKey: PublishInput[][] = customers.map(() => []);
  for (let i = 0; i < options.events; i++) {
    const k = i % options.keys;
    const customerId = customers[k] as string;
    const position = perKey[k]?.length ?? 0;
    const orderId = `${customerId}-o${Math.floor(position / 2)}`;
    perKey[k]?.push(
      position % 2 === 0
        ? {
            type: ORDER_EVENT_TYPES.CREATED,
            data: { orderId, customerId, amountCents: 100 + i, currency: 'EUR' },
          }
        : { type: ORDER_EVENT_TYPES.PAID, data: { orderId, customerId, amountCents: 100 + i } },
    );
  }
  // Shuffle the interleaving, not the per-key order: draw the next customer at random.
  const inputs: PublishInput[] = [];
  const cursors = perKey.map(() => 0);
  const remaining = perKey.map((_list, k) => k).filter((k) => (perKey[k]?.length ?? 0) > 0);
  while (remaining.length > 0) {
    const pick = Math.floor(random() * remaining.length);
    const k = remaining[pick] as number;
    const list = perKey[k] as PublishInput[];
    inputs.push(list[cursors[k] as number] as PublishInput);
    cursors[k] = (cursors[k] as number) + 1;
    if ((cursors[k] as number) >= list.length) remaining.splice(pick, 1);
  }
  return {
    inputs,
    customers,
    expectedPerKey: new Map(customers.map((customer, k) => [customer, perKey[k]?.length ?? 0])),
  };
}

/**
 * Publishes `events` order events over `keys` customers to the deployed Lanes-Pipeline, waits
 * until each has its effect in the results table (or the deadline passes) with a progress line
 * every 2 s, checks the dead-letter queues and prints a short report. Does not start LocalStack
 * or deploy: the caller does (`npm run demo`, demo-command.ts, runs ensureLocalStack and deployAll first).
 *
 * @example
 * const report = await runDemo({ events: 300, keys: 20, mode: 'direct' });
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const log = options.log ?? ((line: string) => console.error(line));
  const outputs = readOutputs()[PIPELINE_STACK];
  if (!outputs) {
    throw new Error(`No outputs for ${PIPELINE_STACK}: deploy it first (npm run deploy).`);
  }
  const runId = `demo-${Date.now().toString(36)}`;
  const { inputs, expectedPerKey } = orderInputs({
    runId,
    events: options.events,
    keys: options.keys,
  });
  const publisher = new Publisher({
    catalogue: ordersCatalogue,
    router: routerFromOutputs(outputs, options.mode),
    source: 'lanes.demo',
  });
  const reader = new ResultsReader({ tableName: outputs.ResultsTableName as string });
  const timeoutMs = options.timeoutMs ?? 60_000 + options.events * 100;

  log(
    `[demo] run ${runId}: publishing ${options.events} events over ${options.keys} keys (${options.mode})`,
  );
  const started = Date.now();
  const summary = await publisher.publish(inputs);
  log(
    `[demo] published ${summary.sent} in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      (summary.rejected + summary.failed > 0
        ? ` (${summary.rejected} rejected, ${summary.failed} not delivered: ${summary.results.find((r) => r.error)?.error?.message})`
        : ''),
  );

  const progress = reader.progress(expectedPerKey);
  let counts = { processed: 0, notified: 0 };
  let lastLog = 0;
  let timedOut = false;
  for (;;) {
    counts = await progress.count();
    const now = Date.now();
    const done = counts.processed >= summary.sent && counts.notified >= summary.sent;
    if (done || now - lastLog >= 2_000) {
      const rate = counts.processed / Math.max(0.001, (now - started) / 1000);
      log(
        `[demo] processed ${counts.processed}/${summary.sent}, notified ${counts.notified}/${summary.sent} (${rate.toFixed(0)} events/s)`,
      );
      lastLog = now;
    }
    if (done) break;
    if (now - started > timeoutMs) {
      timedOut = true;
      log(`[demo] deadline of ${(timeoutMs / 1000).toFixed(0)} s passed`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const elapsedMs = Date.now() - started;
  const inDlq =
    (await queueDepth(outputs.OrdersDlqUrl as string)) +
    (await queueDepth(outputs.NotificationsDlqUrl as string));

  const report: DemoReport = {
    mode: options.mode,
    runId,
    events: options.events,
    keys: options.keys,
    published: summary.sent,
    publishFailed: summary.rejected + summary.failed,
    processed: counts.processed,
    notified: counts.notified,
    failed: options.events - counts.processed,
    inDlq,
    elapsedMs,
    eventsPerSecond: Math.round((counts.processed / (elapsedMs / 1000)) * 10) / 10,
    timedOut,
  };
  log(
    [
      `[demo] report (${report.mode}, run ${report.runId})`,
      `  published   ${report.published}/${report.events}`,
      `  processed   ${report.processed}`,
      `  notified    ${report.notified}`,
      `  failed      ${report.failed}`,
      `  in DLQ      ${report.inDlq}`,
      `  elapsed     ${(report.elapsedMs / 1000).toFixed(1)} s`,
      `  throughput  ${report.eventsPerSecond} events/s`,
    ].join('\n'),
  );
  return report;
}
