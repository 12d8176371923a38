import type { Envelope } from '#shared/events/envelope.ts';
import type { PublishInput } from '#shared/ingress/publisher.ts';
import { type DeadLetter, drainDeadLetters, type Tally, tallyOrders } from './accounting.ts';
import type { FaultWorker } from './faults-stack.ts';
import { SLOW_SLEEP_MS } from './markers.ts';
import { faultRunId, faultsStack, publishTo, seconds, waitUntil } from './stack.ts';

/** Outcome of one batch with one faulty record among healthy ones. */
export interface FaultyBatchOutcome {
  readonly run: string;
  readonly sent: Envelope[];
  readonly faulty: Envelope;
  readonly healthy: Envelope[];
  readonly tally: Tally;
  readonly deadLetters: DeadLetter[];
  /** From publishing until the healthy records were applied and the faulty one dead-lettered. */
  readonly recoverySeconds: number;
}

/**
 * Ten order events over three keys, published at once so they share batches, one of which
 * carries `marker` (a record past the timeout, or a poison record). On FIFO the faulty record
 * comes first in its group, so its group mates wait behind it; on a standard queue its key has
 * three healthy events too. Waits until the 9 healthy events are applied and the faulty one is
 * in the DLQ, then (for a slow record) until its last abandoned attempt would have written.
 */
export async function runFaultyBatch(options: {
  readonly worker: FaultWorker;
  readonly fifo: boolean;
  readonly marker: string;
  readonly label: string;
}): Promise<FaultyBatchOutcome> {
  const stack = faultsStack();
  const worker = stack.worker(options.worker);
  const run = faultRunId(options.label);
  const keys = [0, 1, 2].map((k) => `${run}-k${k}`);
  const layout = options.fifo ? [3, 4, 3] : [4, 3, 3];
  const inputs: PublishInput[] = [];
  layout.forEach((count, k) => {
    const customerId = keys[k] as string;
    for (let n = 0; n < count; n++) {
      const faulty = k === 0 && n === 0;
      inputs.push({
        type: 'orders.created',
        data: {
          orderId: `${customerId}-o${n}${faulty ? options.marker : ''}`,
          customerId,
          amountCents: 100 + n,
          currency: 'EUR',
        },
      });
    }
  });
  const started = Date.now();
  const sent = await publishTo(worker.queueUrl, options.fifo, inputs);
  const faulty = sent.find((event) =>
    (event.data as { orderId: string }).orderId.endsWith(options.marker),
  ) as Envelope;
  const healthy = sent.filter((event) => event !== faulty);
  const deadLetters: DeadLetter[] = [];
  const belongs = (envelope: Envelope) => envelope.partitionKey.startsWith(run);
  const count = async () => {
    deadLetters.push(...(await drainDeadLetters(stack.sqs, [worker.dlqUrl], belongs)));
    return tallyOrders(
      stack.documentClient,
      stack.tableName,
      sent,
      deadLetters.map((d) => d.eventId),
    );
  };
  await waitUntil(
    `${options.label}: 9 healthy events applied and the faulty one dead-lettered`,
    async () => {
      const tally = await count();
      const settled = tally.processed >= healthy.length && tally.inDlq >= 1;
      return {
        done: settled ? tally : undefined,
        state: `applied ${tally.processed}, in DLQ ${tally.inDlq}`,
      };
    },
    120_000,
  );
  const recoverySeconds = seconds(Date.now() - started);
  // The last abandoned attempt of a slow record wakes up SLOW_SLEEP_MS after it started: give it
  // the time to try its late write, then count again.
  await new Promise((resolve) => setTimeout(resolve, SLOW_SLEEP_MS + 2_000));
  const tally = await count();
  return { run, sent, faulty, healthy, tally, deadLetters, recoverySeconds };
}
