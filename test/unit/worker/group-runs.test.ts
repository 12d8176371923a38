import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createWorkerHandler, type ProcessEvent } from '#functions/worker-handler.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import type { TransactionalIdempotency } from '#shared/coordination/transactional-idempotency.ts';
import { decodeRecord } from '#shared/worker/decode.ts';
import { GroupRuns } from '#shared/worker/group-runs.ts';
import { envelope, lambdaContext, record } from './support/records.ts';

/**
 * Runs of a FIFO group's events in the worker runtime: what `following` holds, which records a
 * successful `commitRun` takes off the batch, and what a wrong run is told. The transaction
 * itself is `TransactionalIdempotency.runAll`, tested on LocalStack
 * (test/integration/coordination/idempotency.test.ts, test/integration/worker/exactly-once.test.ts).
 */
const context = lambdaContext;

/** A transactional store that records what went into each joint commit. */
function fakeStore(applies = true) {
  const runs: string[][] = [];
  const store = {
    runAll: async (requests: readonly { key: string }[]) => {
      const keys = requests.map((request) => request.key);
      runs.push(keys);
      // Not applied: as on a redelivery, every key's record is there already.
      return applies ? { applied: true } : { applied: false, duplicates: keys };
    },
  } as unknown as TransactionalIdempotency;
  return { store, runs };
}

function worker(processEvent: ProcessEvent, store: TransactionalIdempotency) {
  const dead: string[] = [];
  const handler = createWorkerHandler({
    catalogue: ordersCatalogue,
    transactional: store,
    processEvent,
    deadLetter: { send: async (r) => void dead.push(r.messageId) },
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
  });
  return { deliver: (records: SQSRecord[]) => handler({ Records: records }, context), dead };
}

describe('GroupRuns', () => {
  it("lists a record's group followers in order, skips other groups, stops at one that does not decode", () => {
    const [a1, b1, a2, bad, a3] = [
      record(envelope('a', 1), 'g-a'),
      record(envelope('b', 1), 'g-b'),
      record(envelope('a', 2), 'g-a'),
      record({ not: 'an event' }, 'g-a'),
      record(envelope('a', 3), 'g-a'),
    ] as [SQSRecord, SQSRecord, SQSRecord, SQSRecord, SQSRecord];
    let decodes = 0;
    const runs = new GroupRuns([a1, b1, a2, bad, a3], (r) => {
      decodes++;
      return decodeRecord(r, ordersCatalogue);
    });

    expect(runs.following(a1).map((next) => next.event.id)).toEqual(['e-a-2']);
    expect(runs.following(a2)).toEqual([]);
    expect(runs.following(bad).map((next) => next.event.id)).toEqual(['e-a-3']);
    runs.decode(a2);
    expect(() => runs.decode(bad)).toThrow(/body|type|id/);
    expect(decodes).toBe(3); // a2, bad and a3 once each, whoever asked
    runs.markApplied([a2]);
    expect(runs.wasApplied(a2)).toBe(true);
    expect(runs.following(a1)).toEqual([]);
  });
});

describe('commitRun in the worker runtime', () => {
  it('commits the event with the followers it names; they are acknowledged without running', async () => {
    const { store, runs } = fakeStore();
    const ran: string[] = [];
    const { deliver } = worker(async (event, { following, commitRun }) => {
      ran.push(event.id);
      const sameKey = following.filter((next) => next.event.partitionKey === event.partitionKey);
      await commitRun([
        { effect: [] },
        ...sameKey.map((next) => ({ event: next.event, effect: [] })),
      ]);
    }, store);
    // One lane (group) with two keys.
    const records = [envelope('a', 1), envelope('b', 1), envelope('a', 2), envelope('b', 2)].map(
      (event) => record(event, 'lane-1'),
    );

    const response = await deliver(records);

    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toEqual([
      ['e-a-1', 'e-a-2'],
      ['e-b-1', 'e-b-2'],
    ]);
    expect(ran).toEqual(['e-a-1', 'e-b-1']);
  });

  it('after a run that found duplicates, later runs holding one of them are refused without a request', async () => {
    const { store, runs } = fakeStore(false);
    const outcomes: unknown[] = [];
    const { deliver } = worker(async (_event, { following, commitRun }) => {
      outcomes.push(
        await commitRun([
          { effect: [] },
          ...following.map((next) => ({ event: next.event, effect: [] })),
        ]),
      );
    }, store);
    const records = [1, 2, 3].map((n) => record(envelope('a', n), 'a'));

    expect((await deliver(records)).batchItemFailures).toEqual([]);
    expect(outcomes).toEqual([
      { applied: false, duplicates: ['e-a-1', 'e-a-2', 'e-a-3'] },
      { applied: false, duplicates: ['e-a-2', 'e-a-3'] },
      { applied: false, duplicates: ['e-a-3'] },
    ]);
    expect(runs).toEqual([['e-a-1', 'e-a-2', 'e-a-3']]);
  });

  it('tells a run that names an event not following it, and fails only that record and its group', async () => {
    const { store } = fakeStore();
    const errors: string[] = [];
    const { deliver } = worker(async (event, { commitRun }) => {
      const stranger = event.partitionKey === 'a' ? [{ event: envelope('z', 9), effect: [] }] : [];
      try {
        await commitRun([{ effect: [] }, ...stranger]);
      } catch (error) {
        errors.push((error as Error).message);
        throw error;
      }
    }, store);
    const [a1, a2, b1] = [
      record(envelope('a', 1), 'a'),
      record(envelope('a', 2), 'a'),
      record(envelope('b', 1), 'b'),
    ] as [SQSRecord, SQSRecord, SQSRecord];

    const response = await deliver([a1, a2, b1]);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      a1.messageId,
      a2.messageId,
    ]);
    expect(errors).toEqual([
      expect.stringContaining(
        'context.commitRun for event e-a-1 must commit that event once and events of context.following at most once each; got 1 request(s) for the event and e-z-9, which is not (or no longer) following it',
      ),
    ]);
  });
});
