import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type OrderResultItem, RESULTS_KEYS } from './results-table.ts';

export interface NotificationItem {
  readonly pk: string;
  readonly sk: string;
  readonly eventId: string;
  readonly sentAt: string;
}

/**
 * Reads the reference pipeline's effects from the results table: counts for progress, and the
 * items themselves for order and latency checks. Used by the demo, the tests and the benchmark.
 *
 * @example
 * const reader = new ResultsReader({ tableName: outputs.ResultsTableName });
 * const { processed, notified } = await reader.count(customerIds);
 */
export class ResultsReader {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { tableName: string; client?: DynamoDBDocumentClient }) {
    this.#tableName = options.tableName;
    this.#client = options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
  }

  async #query<T>(
    key: string,
    prefix: string,
    countOnly: boolean,
  ): Promise<{ count: number; items: T[] }> {
    let count = 0;
    const items: T[] = [];
    let start: QueryCommandInput['ExclusiveStartKey'];
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': RESULTS_KEYS.PARTITION, '#sk': RESULTS_KEYS.SORT },
          ExpressionAttributeValues: { ':pk': key, ':prefix': prefix },
          ExclusiveStartKey: start,
          ...(countOnly ? { Select: 'COUNT' } : {}),
        }),
      );
      count += page.Count ?? 0;
      if (!countOnly) items.push(...((page.Items ?? []) as T[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return { count, items };
  }

  /** How many order events were processed (hot path) and notified (cold path) for these keys. */
  async count(keys: readonly string[]): Promise<{ processed: number; notified: number }> {
    const counts = await Promise.all(
      keys.map(async (key) => {
        const [processed, notified] = await Promise.all([
          this.#query(key, RESULTS_KEYS.EVENT_PREFIX, true),
          this.#query(key, RESULTS_KEYS.NOTIFY_PREFIX, true),
        ]);
        return { processed: processed.count, notified: notified.count };
      }),
    );
    return counts.reduce(
      (sum, c) => ({ processed: sum.processed + c.processed, notified: sum.notified + c.notified }),
      { processed: 0, notified: 0 },
    );
  }

  /**
   * A counter for polling loops: each call re-reads only the keys that have not yet reached
   * their expected count, so waiting for a large run does not load the table it waits on.
   *
   * @param expected - events expected per key (both processed and notified).
   * @param options.notified - also count cold-path notifications (default true).
   * @example
   * const progress = reader.progress(new Map([['c1', 40], ['c2', 40]]));
   * const { processed, notified } = await progress.count();
   */
  progress(
    expected: ReadonlyMap<string, number>,
    options: { notified?: boolean } = {},
  ): { count(): Promise<{ processed: number; notified: number }> } {
    const withNotified = options.notified ?? true;
    const seen = new Map<string, { processed: number; notified: number }>();
    const complete = (key: string) => {
      const want = expected.get(key) ?? 0;
      const counted = seen.get(key);
      return (
        counted !== undefined &&
        counted.processed >= want &&
        (!withNotified || counted.notified >= want)
      );
    };
    const countKey = async (key: string) => {
      const previous = seen.get(key) ?? { processed: 0, notified: 0 };
      const want = expected.get(key) ?? 0;
      const [processed, notified] = await Promise.all([
        previous.processed >= want
          ? previous.processed
          : this.#query(key, RESULTS_KEYS.EVENT_PREFIX, true).then((r) => r.count),
        !withNotified || previous.notified >= want
          ? previous.notified
          : this.#query(key, RESULTS_KEYS.NOTIFY_PREFIX, true).then((r) => r.count),
      ]);
      seen.set(key, { processed, notified });
    };
    return {
      count: async () => {
        await Promise.all([...expected.keys()].filter((key) => !complete(key)).map(countKey));
        let processed = 0;
        let notified = 0;
        for (const counted of seen.values()) {
          processed += counted.processed;
          notified += counted.notified;
        }
        return { processed, notified };
      },
    };
  }

  /** Events still parked (waiting for a predecessor) for these keys. */
  async countParked(keys: readonly string[]): Promise<number> {
    const counts = await Promise.all(
      keys.map(async (key) => (await this.#query(key, RESULTS_KEYS.PARKED_PREFIX, true)).count),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /** Every hot-path result of one key. */
  async orderResults(key: string): Promise<OrderResultItem[]> {
    return (await this.#query<OrderResultItem>(key, RESULTS_KEYS.EVENT_PREFIX, false)).items;
  }

  /** Every cold-path notification of one key. */
  async notifications(key: string): Promise<NotificationItem[]> {
    return (await this.#query<NotificationItem>(key, RESULTS_KEYS.NOTIFY_PREFIX, false)).items;
  }
}
