import { describe, expect, it } from 'vitest';
import { FAULT_WORKERS } from './support/faults-stack.ts';
import { type FaultyBatchOutcome, runFaultyBatch } from './support/faulty-batch.ts';
import { FAULT_MARKERS } from './support/markers.ts';
import { recordFault } from './support/results.ts';

/**
 * A poison record (an ordinary error on every delivery) among healthy ones: retried until its
 * last receive, then dead-lettered by the worker with its reason; the rest of the batch is
 * applied once and never dead-lettered, and on FIFO its group goes on after it.
 */
function expectOnlyPoisonDeadLettered(outcome: FaultyBatchOutcome): void {
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
  expect(deadLetters.map((d) => d.errorName)).toContain('Error');
  expect(tally.perKey.get(faulty.partitionKey)?.deliveries.get(faulty.id)).toBe(5);
}

function record(outcome: FaultyBatchOutcome, scenario: string, queue: string) {
  const { tally } = outcome;
  recordFault({
    scenario,
    fault: `one record of a batch of 10 (${queue}) throws on every delivery`,
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
  });
}

describe('fault: a poison record', () => {
  it('standard and FIFO queues: dead-lettered with its reason after 5 receives; the rest applied once', async () => {
    const [standard, fifo] = await Promise.all([
      runFaultyBatch({
        worker: FAULT_WORKERS.SLOW_STANDARD,
        fifo: false,
        marker: FAULT_MARKERS.POISON,
        label: 'poison-std',
      }),
      runFaultyBatch({
        worker: FAULT_WORKERS.SLOW_FIFO,
        fifo: true,
        marker: FAULT_MARKERS.POISON,
        label: 'poison-fifo',
      }),
    ]);
    record(standard, 'poison-record-standard', 'standard queue');
    record(fifo, 'poison-record-fifo', 'FIFO queue');

    expectOnlyPoisonDeadLettered(standard);
    expectOnlyPoisonDeadLettered(fifo);
    const group = fifo.tally.perKey.get(fifo.faulty.partitionKey);
    expect(group?.ordinals).toEqual([1, 2]);
  });
});
