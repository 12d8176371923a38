import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerHandler, type WorkerOptions } from '#functions/worker-handler.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import type { TransactionalIdempotency } from '#shared/coordination/transactional-idempotency.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import type { DeadLetterSink } from '#shared/worker/dead-letter.ts';
import { InvocationDeadline, runWithinBudget } from '#shared/worker/deadline.ts';
import { EffectAbandonedError, RecordTimeoutError } from '#shared/worker/errors.ts';
import type { RetryDelay } from '#shared/worker/retry-delay.ts';
import { envelope, record as sqsRecord } from '#test/unit/worker/support/records.ts';

/**
 * The worker's deadline: records start only while the invocation has time for their budget, a
 * record past its budget is abandoned and reported, finished records are never reported, and an
 * abandoned handler cannot commit. Real timers with short budgets; assertions on which records
 * are reported and what ran, not on milliseconds.
 */

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** An SQS record of `event`; on the FIFO queue its message group is the event's key. */
function record(event: Envelope, options: { fifo?: boolean; receiveCount?: number } = {}) {
  return sqsRecord(event, options.fifo ? event.partitionKey : undefined, options.receiveCount);
}

/** A Lambda context whose deadline is `timeoutMs` from now, as the runtime computes it. */
function contextFor(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName: 'test',
    awsRequestId: 'req',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  } as Context;
}

class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: { record: SQSRecord; error: Error }[] = [];
  async send(r: SQSRecord, error: Error): Promise<void> {
    this.letters.push({ record: r, error });
  }
}

/** Commits recorded in memory: the logic under test is who may commit, not DynamoDB. */
function memoryTransactional() {
  const committed: string[] = [];
  const run = async (
    request: { key: string; result: unknown },
    options?: { abortSignal?: AbortSignal },
  ) => {
    if (options?.abortSignal?.aborted) throw new Error('aborted');
    committed.push(request.key);
    return { duplicate: false, result: request.result };
  };
  // Coalesced or not, each commit is recorded on its own here.
  const transactional = { run, coalescing: () => run } as unknown as TransactionalIdempotency;
  return { transactional, committed };
}

const pending: Promise<unknown>[] = [];
afterEach(async () => {
  await Promise.all(pending.splice(0));
});

function worker(options: Partial<WorkerOptions> & Pick<WorkerOptions, 'processEvent'>) {
  const deadLetter = new MemoryDeadLetters();
  const handler = createWorkerHandler({
    catalogue: ordersCatalogue,
    deadLetter,
    maxReceiveCount: 5,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
    ...options,
  });
  return { handler, deadLetter };
}

/** A RetryDelay that records which messages the worker released. */
function recordingRetryDelay() {
  const released: string[] = [];
  const retryDelay: RetryDelay = {
    postpone: async () => {},
    requeue: async () => {},
    release: async (records) => {
      released.push(...records.map((r) => r.messageId));
      return [];
    },
  };
  return { retryDelay, released };
}

const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((f) => f.itemIdentifier);

describe('InvocationDeadline', () => {
  it('stops the margin before the timeout and gives a record half of the rest by default', () => {
    const deadline = new InvocationDeadline({ remainingMs: 10_500, now: () => 0 });
    expect(deadline.msToStop()).toBe(10_000);
    expect(deadline.recordBudgetMs).toBe(5_000);
    expect(deadline.canStart()).toBe(true);
    deadline.stop();
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.canStart()).toBe(false);
  });

  it('lets records start on a budget cut to the invocation while any time is left', () => {
    let now = 0;
    const deadline = new InvocationDeadline({
      remainingMs: 2_000,
      recordBudgetMs: 60_000,
      now: () => now,
    });
    expect(deadline.budgetClamped).toBe(true);
    expect(deadline.recordBudgetMs).toBe(1_500);
    now = 5; // a few milliseconds later (a loaded machine): still startable
    expect(deadline.canStart()).toBe(true);
    expect(deadline.allowanceMs()).toBe(1_495);
    now = 1_500;
    expect(deadline.canStart()).toBe(false);
    deadline.dispose();
  });

  it('lets a batch of 50 records in flight listen for the stop point without a listener warning', async () => {
    const deadline = new InvocationDeadline({ remainingMs: 60_000 });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          runWithinBudget(() => sleep(10).then(() => i), deadline, `m${i}`),
        ),
      );
      // Warnings are emitted on the next tick.
      await sleep(10);
      expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      deadline.dispose();
    }
  });

  it('has no deadline without a Lambda context', () => {
    const deadline = new InvocationDeadline({ remainingMs: undefined });
    expect(deadline.canStart()).toBe(true);
    expect(deadline.allowanceMs()).toBe(Number.POSITIVE_INFINITY);
    deadline.dispose();
  });
});

describe('deadline-aware batches', () => {
  it('standard queue: abandons a record past its budget, reports only it, and its late commit is refused', async () => {
    const { transactional, committed } = memoryTransactional();
    let lateCommit: Promise<unknown> | undefined;
    const { handler, deadLetter } = worker({
      transactional,
      recordBudgetMs: 150,
      processEvent: async (event, { commit }) => {
        if (event.partitionKey === 'slow') {
          // Ignores its signal on purpose, as a careless handler would, then tries to write.
          await sleep(400);
          lateCommit = commit({ effect: [] });
          pending.push(lateCommit.catch(() => {}));
          return;
        }
        await commit({ effect: [] });
      },
    });
    const slow = record(envelope('slow', 1));
    const healthy = ['a', 'b', 'c'].map((key) => record(envelope(key, 1)));

    const response = await handler({ Records: [slow, ...healthy] }, contextFor(3_000));

    expect(failedIds(response)).toEqual([slow.messageId]);
    expect(committed.sort()).toEqual(['e-a-1', 'e-b-1', 'e-c-1']);
    expect(deadLetter.letters).toEqual([]);
    await sleep(500);
    await expect(lateCommit).rejects.toBeInstanceOf(EffectAbandonedError);
    expect(committed).not.toContain('e-slow-1');
  });

  it('FIFO: an abandoned record fails the rest of its group only; other groups are processed', async () => {
    const seen: string[] = [];
    const signals: AbortSignal[] = [];
    const { handler } = worker({
      recordBudgetMs: 150,
      processEvent: async (event, { signal }) => {
        if (event.id === 'e-a-1') {
          signals.push(signal);
          await sleep(2_000, signal);
          return;
        }
        seen.push(event.id);
      },
    });
    const records = [
      record(envelope('a', 1), { fifo: true }),
      record(envelope('a', 2), { fifo: true }),
      record(envelope('b', 1), { fifo: true }),
      record(envelope('b', 2), { fifo: true }),
    ];

    const response = await handler({ Records: records }, contextFor(3_000));

    expect(failedIds(response)).toEqual([records[0]?.messageId, records[1]?.messageId]);
    expect(seen).toEqual(['e-b-1', 'e-b-2']);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(RecordTimeoutError);
  });

  it('FIFO, last receive: the timed-out record is dead-lettered with its reason and its group goes on', async () => {
    const seen: string[] = [];
    const { handler, deadLetter } = worker({
      recordBudgetMs: 150,
      processEvent: async (event, { signal }) => {
        if (event.id === 'e-a-1') await sleep(2_000, signal);
        else seen.push(event.id);
      },
    });
    const records = [1, 2, 3].map((n) => record(envelope('a', n), { fifo: true, receiveCount: 5 }));

    const response = await handler({ Records: records }, contextFor(3_000));

    expect(failedIds(response)).toEqual([]);
    expect(seen).toEqual(['e-a-2', 'e-a-3']);
    expect(deadLetter.letters.map((l) => [l.record.messageId, l.error.name])).toEqual([
      [records[0]?.messageId, 'RecordTimeoutError'],
    ]);
  });

  it('does not start records the time left cannot cover, and hands them back untouched', async () => {
    const seen: string[] = [];
    const { retryDelay, released } = recordingRetryDelay();
    const { handler } = worker({
      retryDelay,
      recordBudgetMs: 400,
      processEvent: async (event) => {
        seen.push(event.id);
        await sleep(350);
      },
    });
    // 500 ms margin: 600 ms to the stop point, so the second record (at ~350 ms) cannot start.
    const records = [1, 2, 3].map((n) => record(envelope('a', n), { fifo: true }));

    const response = await handler({ Records: records }, contextFor(1_100));

    expect(seen).toEqual(['e-a-1']);
    expect(failedIds(response)).toEqual([records[1]?.messageId, records[2]?.messageId]);
    // Neither started (the third waited behind the second in its group): both are visible again
    // at once instead of holding the group for the visibility timeout.
    expect(released).toEqual([records[1]?.messageId, records[2]?.messageId]);
  });

  it('answers at its stop point, before the timeout, with every unfinished record and no finished one', async () => {
    const seen: string[] = [];
    const { retryDelay, released } = recordingRetryDelay();
    const { handler } = worker({
      retryDelay,
      // A budget longer than the invocation is cut to it: only the stop point ends the slow record.
      recordBudgetMs: 60_000,
      processEvent: async (event, { signal }) => {
        if (event.partitionKey === 'slow') await sleep(10_000, signal);
        seen.push(event.id);
      },
    });
    const fast = record(envelope('fast', 1));
    const slow = record(envelope('slow', 1));
    const started = Date.now();

    // 4 s leaves the fast record 3.5 s to the stop point, even on a loaded machine.
    const response = await handler({ Records: [fast, slow] }, contextFor(4_000));

    const elapsedMs = Date.now() - started;
    expect(failedIds(response)).toEqual([slow.messageId]);
    expect(seen).toContain('e-fast-1');
    // It answered before Lambda's timeout would have failed the whole batch.
    expect(elapsedMs).toBeLessThan(4_000);
    // The slow record had started: it waits out the visibility timeout like any failure.
    expect(released).toEqual([]);
  });

  it('refuses a bad budget with the value', () => {
    expect(() => worker({ recordBudgetMs: 0, processEvent: async () => {} })).toThrow(
      /recordBudgetMs must be a positive integer number of milliseconds \(given 0\)/,
    );
    process.env.LANES_RECORD_BUDGET_MS = 'soon';
    try {
      expect(() => worker({ processEvent: async () => {} })).toThrow(
        /LANES_RECORD_BUDGET_MS must be an integer of at least 1 \(given "soon"\)/,
      );
    } finally {
      delete process.env.LANES_RECORD_BUDGET_MS;
    }
  });

  it('commit without the transactional option says how to fix it', async () => {
    const { handler, deadLetter } = worker({
      processEvent: async (_event, { commit }) => {
        await commit({ effect: [] });
      },
      maxReceiveCount: 1,
    });
    await handler({ Records: [record(envelope('a', 1))] }, contextFor(3_000));
    expect(deadLetter.letters[0]?.error.message).toMatch(
      /no transactional option; pass transactional: new TransactionalIdempotency/,
    );
  });
});
