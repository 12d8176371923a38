import {
  IdempotencyAlreadyInProgressError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { IdempotencyPayloadMismatchError } from '#shared/coordination/errors.ts';
import { powertoolsIdempotency } from '#shared/coordination/powertools-idempotency.ts';
import { TransactionalIdempotency } from '#shared/coordination/transactional-idempotency.ts';
import { countRequests } from '#test/integration/coordination/support/request-counter.ts';
import { useCoordinationTable } from '#test/integration/coordination/support/table.ts';

const client = new DynamoDBClient({});
const table = useCoordinationTable(client);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function event(id: string, amount: number) {
  return { id, source: 'lanes.test', 'detail-type': 'Deposit', detail: { account: 'a1', amount } };
}

function lambdaContext(): Context {
  return {
    functionName: 'coordination-test',
    awsRequestId: 'req',
    getRemainingTimeInMillis: () => 10_000,
  } as Context;
}

async function effectCount(pk: string): Promise<number> {
  const out = await client.send(
    new GetItemCommand({ TableName: table.name, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return Number(out.Item?.count?.N ?? 0);
}

/**
 * A store on the test table whose requests are counted, a request per id with an effect item
 * `effect#<prefix>#<id>`, and whether that item was written. The table exists once beforeAll
 * ran: call `store()` inside the tests.
 */
function effectStore(keyPrefix: string) {
  const counted = new DynamoDBClient({});
  const item = (id: string) => `effect#${keyPrefix}#${id}`;
  return {
    requests: countRequests(counted),
    store: () =>
      new TransactionalIdempotency({ tableName: table.name, keyPrefix, client: counted }),
    put: (id: string) => ({
      key: id,
      payload: { id },
      result: id,
      effect: [{ Put: { TableName: table.name, Item: { pk: { S: item(id) } } } }],
    }),
    exists: async (id: string) =>
      (
        await client.send(
          new GetItemCommand({
            TableName: table.name,
            Key: { pk: { S: item(id) } },
            ConsistentRead: true,
          }),
        )
      ).Item !== undefined,
  };
}

describe('Idempotency on DynamoDB', () => {
  it('Powertools path: 20 duplicate deliveries produce one effect and the same result', async () => {
    const effectPk = 'effect#powertools';
    const handler = makeIdempotent(
      async (e: ReturnType<typeof event>, _context: Context) => {
        await client.send(
          new UpdateItemCommand({
            TableName: table.name,
            Key: { pk: { S: effectPk } },
            UpdateExpression: 'ADD #c :one',
            ExpressionAttributeNames: { '#c': 'count' },
            ExpressionAttributeValues: { ':one': { N: '1' } },
          }),
        );
        await sleep(50);
        return { credited: e.detail.amount };
      },
      powertoolsIdempotency({ tableName: table.name, keyPrefix: 'deposits', client }),
    );
    // A delivery rejected as in progress is redelivered later, as SQS/Lambda would.
    const deliver = async (): Promise<unknown> => {
      for (;;) {
        try {
          return await handler(event('evt-1', 5), lambdaContext());
        } catch (error) {
          if (!(error instanceof IdempotencyAlreadyInProgressError)) throw error;
          await sleep(100);
        }
      }
    };

    const results = await Promise.all(Array.from({ length: 20 }, deliver));

    expect(await effectCount(effectPk)).toBe(1);
    expect(results).toEqual(Array.from({ length: 20 }, () => ({ credited: 5 })));
    await expect(handler(event('evt-1', 6), lambdaContext())).rejects.toMatchObject({
      name: 'IdempotencyValidationError',
    });
  });

  it('transactional path: 20 concurrent duplicate deliveries produce one effect', async () => {
    const effectPk = 'effect#transactional';
    const idempotency = new TransactionalIdempotency({
      tableName: table.name,
      keyPrefix: 'deposits',
      client,
    });
    const deliver = () => {
      const e = event('evt-2', 7);
      return idempotency.run({
        key: e.id,
        payload: e.detail,
        result: { credited: e.detail.amount },
        effect: [
          {
            Update: {
              TableName: table.name,
              Key: { pk: { S: effectPk } },
              UpdateExpression: 'ADD #c :one',
              ExpressionAttributeNames: { '#c': 'count' },
              ExpressionAttributeValues: { ':one': { N: '1' } },
            },
          },
        ],
      });
    };

    const outcomes = await Promise.all(Array.from({ length: 20 }, deliver));

    expect(await effectCount(effectPk)).toBe(1);
    expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(1);
    expect(outcomes.map((o) => o.result)).toEqual(
      Array.from({ length: 20 }, () => ({ credited: 7 })),
    );
    await expect(
      idempotency.run({
        key: 'evt-2',
        payload: { account: 'a1', amount: 8 },
        result: null,
        effect: [],
      }),
    ).rejects.toBeInstanceOf(IdempotencyPayloadMismatchError);
  });

  it('transactional path: a first delivery and a duplicate take one request each', async () => {
    const counted = new DynamoDBClient({});
    const requests = countRequests(counted);
    const idempotency = new TransactionalIdempotency({
      tableName: table.name,
      keyPrefix: 'count',
      client: counted,
    });
    const deliver = () =>
      idempotency.run({
        key: 'evt-3',
        payload: { n: 1 },
        result: 'ok',
        effect: [{ Put: { TableName: table.name, Item: { pk: { S: 'effect#counted' } } } }],
      });

    const first = await deliver();
    const afterFirst = requests.total();
    const duplicate = await deliver();

    expect(first.duplicate).toBe(false);
    expect(duplicate).toEqual({ duplicate: true, result: 'ok' });
    expect(afterFirst).toBe(1);
    expect(requests.total()).toBe(2);
    expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(2);
  });

  describe('coalescing: commits made at once go in one transaction', () => {
    const { requests, store, put, exists } = effectStore('coalesced');

    it('50 first deliveries: one TransactWriteItems of 100 items, every effect written', async () => {
      const commit = store().coalescing();
      const ids = Array.from({ length: 50 }, (_, i) => `c50-${i}`);
      requests.reset();

      const outcomes = await Promise.all(ids.map((id) => commit(put(id))));

      expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(1);
      expect(outcomes).toEqual(ids.map((id) => ({ duplicate: false, result: id })));
      expect(await Promise.all(ids.map((id) => exists(id)))).toEqual(ids.map(() => true));
    });

    it('past 100 items: as many transactions as fit (60 commits of 2 items: 2)', async () => {
      const commit = store().coalescing();
      requests.reset();
      await Promise.all(Array.from({ length: 60 }, (_, i) => commit(put(`c60-${i}`))));
      expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(2);
    });

    it('a duplicate among them: the joint transaction fails, each commits alone with its own outcome', async () => {
      await store().run(put('dup-1'));
      const commit = store().coalescing();
      requests.reset();

      const outcomes = await Promise.all(['dup-0', 'dup-1', 'dup-2'].map((id) => commit(put(id))));

      expect(outcomes.map((o) => o.duplicate)).toEqual([false, true, false]);
      // The joint attempt, then one each.
      expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(4);
      expect(await exists('dup-0')).toBe(true);
      expect(await exists('dup-2')).toBe(true);
    });

    it('the same event twice in one batch: applied once, the other a duplicate', async () => {
      const commit = store().coalescing();
      const outcomes = await Promise.all([commit(put('twice')), commit(put('twice'))]);
      expect(outcomes.map((o) => o.duplicate).sort()).toEqual([false, true]);
    });

    it('an aborted commit is left out and fails; the others commit', async () => {
      const commit = store().coalescing();
      const aborted = new AbortController();
      aborted.abort(new Error('record abandoned'));
      const [kept, dropped] = await Promise.allSettled([
        commit(put('abort-kept')),
        commit(put('abort-dropped'), { abortSignal: aborted.signal }),
      ]);
      expect(kept.status).toBe('fulfilled');
      expect(dropped.status === 'rejected' && dropped.reason.name).toBe(
        'IdempotentEffectAbortedError',
      );
      expect(await exists('abort-dropped')).toBe(false);
    });
  });

  describe('runAll: effects that belong together commit in one transaction, all or nothing', () => {
    const { requests, store, put, exists } = effectStore('run-all');

    it('writes every record and effect in one request; again, it writes nothing and says so', async () => {
      const ids = ['all-0', 'all-1', 'all-2'];
      requests.reset();
      expect(await store().runAll(ids.map(put))).toEqual({ applied: true });
      expect(requests.byCommand.get('TransactWriteItemsCommand')).toBe(1);
      expect(await Promise.all(ids.map(exists))).toEqual([true, true, true]);
      // Each key alone then tells what it was: a duplicate, with its stored result.
      expect(await store().runAll(ids.map(put))).toEqual({ applied: false, duplicates: ids });
      expect(await store().run(put('all-1'))).toEqual({ duplicate: true, result: 'all-1' });
    });

    it('a duplicate among them: not applied, the duplicate named, the others not written', async () => {
      await store().run(put('some-1'));
      expect(await store().runAll(['some-0', 'some-1', 'some-2'].map(put))).toEqual({
        applied: false,
        duplicates: ['some-1'],
      });
      expect(await exists('some-0')).toBe(false);
      expect(await exists('some-2')).toBe(false);
    });

    it("an effect's condition failed: not applied, no duplicate named (compute it again)", async () => {
      const guarded = {
        ...put('guarded-0'),
        effect: [
          {
            Put: {
              TableName: table.name,
              Item: { pk: { S: 'effect#run-all#guarded' } },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        ],
      };
      expect(await store().runAll([guarded, put('guarded-1')])).toEqual({
        applied: false,
        duplicates: [],
      });
      expect(await exists('guarded-1')).toBe(false);
    });

    it('refuses more than 100 items, naming the keys, and an aborted signal, before any request', async () => {
      requests.reset();
      const many = Array.from({ length: 51 }, (_, i) => put(`many-${i}`));
      await expect(store().runAll(many)).rejects.toThrow(
        /102 records and effect items, at most 100/,
      );
      const aborted = new AbortController();
      aborted.abort(new Error('record abandoned'));
      await expect(
        store().runAll([put('aborted')], { abortSignal: aborted.signal }),
      ).rejects.toMatchObject({ name: 'IdempotentEffectAbortedError' });
      expect(requests.total()).toBe(0);
    });
  });
});
