import { describe, expect, it } from 'vitest';
import { FAULT_WORKERS } from './support/faults-stack.ts';
import { type FaultyBatchOutcome, runFaultyBatch } from './support/faulty-batch.ts';
import { FAULT_MARKERS, SLOW_SLEEP_MS } from './support/markers.ts';
import { recordFault } from './support/results.ts';

/**
 * The second finding: one record of a batch runs past the function timeout. The healthy
 * records of the batch must be applied once and never dead-lettered; the slow one is abandoned
 * at its budget on every receive, dead-lettered with the reason on its last, and the write its
 * abandoned handler tries SLOW_SLEEP_MS later never lands.
 */
function expectHealthyOnceSlowDeadLettered(outcome: FaultyBatchOutcome): void {
  const { tally, faulty, healthy, deadLetters } = outcome;
  expect(tally).toMatchObject({
    sent: 10,
    processed: healthy.length,
    effectsApplied: healthy.length,
    duplicates: 0,
    lost: 0,
    inDlq: 1,
  });
  // Only the faulty record, dead-lettered by the worker with its reason (under heavy load SQS's
  // redrive may move a second copy there too, without a reason).
  expect(new Set(deadLetters.map((d) => d.eventId))).toEqual(new Set([faulty.id]));
  expect(deadLetters.map((d) => d.errorName)).toContain('RecordTimeoutError');
  // The abandoned handler woke up after the timeout and tried to apply it: refused every time.
  const applied = new Set([...tally.perKey.values()].flatMap((k) => k.applied));
  expect(applied.has(faulty.id)).toBe(false);
  for (const event of healthy) expect(applied.has(event.id), event.id).toBe(true);
  // Handed to the worker on each of its 5 receives.
  expect(tally.perKey.get(faulty.partitionKey)?.deliveries.get(faulty.id)).toBe(5);
}

function record(outcome: FaultyBatchOutcome, scenario: string, queue: string, budget: string) {
  const { tally } = outcome;
  recordFault({
    scenario,
    fault: `one record of a batch of 10 (${queue}) sleeps ${SLOW_SLEEP_MS} ms, past the 3 s function timeout; record budget ${budget}`,
    sent: tally.sent,
    processed: tally.processed,
    effectsApplied: tally.effectsApplied,
    duplicates: tally.duplicates,
    lost: tally.lost,
    inDlq: tally.inDlq,
    expectedInDlq: 1,
    recoverySeconds: outcome.recoverySeconds,
    details: {
      deliveries: tally.deliveries,
      deadLetterReasons: outcome.deadLetters.map((d) => d.errorName),
      visibilityTimeoutSeconds: 4,
      maxReceiveCount: 5,
    },
    notes:
      'The slow record is abandoned at its budget on each receive and dead-lettered with RecordTimeoutError on the 5th; its abandoned handler tries its write after the timeout and is refused. Healthy records: applied once, never dead-lettered.',
  });
}

describe('fault: one record past the function timeout', () => {
  it('standard and FIFO queues: the healthy records of the batch are applied once and never dead-lettered; only the slow one is', async () => {
    const [standard, fifo] = await Promise.all([
      runFaultyBatch({
        worker: FAULT_WORKERS.SLOW_STANDARD,
        fifo: false,
        marker: FAULT_MARKERS.SLOW,
        label: 'timeout-std',
      }),
      runFaultyBatch({
        worker: FAULT_WORKERS.SLOW_FIFO,
        fifo: true,
        marker: FAULT_MARKERS.SLOW,
        label: 'timeout-fifo',
      }),
    ]);
    record(
      standard,
      'record-past-timeout-standard',
      'standard queue',
      'default (half the invocation)',
    );
    record(fifo, 'record-past-timeout-fifo', 'FIFO queue', '1 s');

    expectHealthyOnceSlowDeadLettered(standard);
    expectHealthyOnceSlowDeadLettered(fifo);
    // FIFO: the slow record's group mates waited behind it and then ran, in order.
    const group = fifo.tally.perKey.get(fifo.faulty.partitionKey);
    const bySequence = new Map(fifo.sent.map((event) => [event.id, event.sequence]));
    expect(group?.applied.map((id) => bySequence.get(id))).toEqual([2, 3]);
    expect(group?.ordinals).toEqual([1, 2]);
  });
});
