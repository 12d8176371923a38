import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Clock, TransactionalIdempotency } from 'lanes/coordination';
import { requireEnv, type WorkerOptionsOf } from 'lanes/runtime';
import { ordersCatalogue } from './order-events.ts';
import { KeyStateCache, recordNotification, recordOrderEvent } from './orders.ts';
import { COORDINATION_TABLE_ENV, RESULTS_TABLE_ENV } from './results-table.ts';

/** Where the reference workers write, and the clock their idempotency records are dated by. */
export interface ReferenceWorkerDeps {
  readonly client: DynamoDBClient;
  readonly resultsTableName: string;
  /** Holds the idempotency records (a CoordinationTable). */
  readonly coordinationTableName: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default - () => new Date() */
  readonly now?: () => Date;
}

/** The deployed functions' dependencies, from their environment. */
export function referenceWorkerDepsFromEnv(): ReferenceWorkerDeps {
  return {
    client: new DynamoDBClient({}),
    resultsTableName: requireEnv(RESULTS_TABLE_ENV),
    coordinationTableName: requireEnv(COORDINATION_TABLE_ENV),
  };
}

function transactional(deps: ReferenceWorkerDeps, keyPrefix: string): TransactionalIdempotency {
  // Default retention (14 days, DEFAULT_IDEMPOTENCY_RETENTION_SECONDS): far beyond SQS's
  // 5-minute deduplication, as long as a copy of a message can still sit on a queue or its DLQ.
  return new TransactionalIdempotency({
    tableName: deps.coordinationTableName,
    keyPrefix,
    client: deps.client,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
}

/**
 * Options of the hot-path orders worker: each event's effect (counter, result item, resequencing)
 * commits with its idempotency record, keyed by the event id, in one transaction; a run of one
 * key's direct events in a FIFO batch commits as one transaction (`context.commitRun`). The key's
 * state is read before the first of its events in an invocation, and after a commit that lost to
 * a change made elsewhere; otherwise the worker goes on what it committed (KeyStateCache).
 *
 * @example
 * export const handler = createWorkerHandler(ordersWorkerOptions(referenceWorkerDepsFromEnv()));
 */
export function ordersWorkerOptions(
  deps: ReferenceWorkerDeps,
): WorkerOptionsOf<typeof ordersCatalogue> {
  const client = DynamoDBDocumentClient.from(deps.client);
  const now = deps.now ?? (() => new Date());
  // Per invocation: the key's next event in a batch needs no read of its state first.
  const states = new KeyStateCache();
  return {
    catalogue: ordersCatalogue,
    serviceName: 'orders',
    transactional: transactional(deps, 'orders'),
    processEvent: async (event, context) => {
      const { delivery, commit, signal, following, commitRun, lambdaContext } = context;
      states.startInvocation(lambdaContext?.awsRequestId);
      await recordOrderEvent(event, delivery, {
        client,
        tableName: deps.resultsTableName,
        now,
        commit,
        signal,
        states,
        following,
        commitRun,
      });
    },
  };
}

/**
 * Options of the cold-path notifications worker: one notification per event, exactly once.
 *
 * @example
 * export const handler = createWorkerHandler(notificationsWorkerOptions(referenceWorkerDepsFromEnv()));
 */
export function notificationsWorkerOptions(
  deps: ReferenceWorkerDeps,
): WorkerOptionsOf<typeof ordersCatalogue> {
  const now = deps.now ?? (() => new Date());
  return {
    catalogue: ordersCatalogue,
    serviceName: 'notifications',
    transactional: transactional(deps, 'notifications'),
    processEvent: async (event, { commit }) => {
      await recordNotification(event, {
        tableName: deps.resultsTableName,
        now,
        commit,
      });
    },
  };
}
