import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ClaimCheckStore } from './claim-check.ts';
import { PayloadTooLargeError } from './errors.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** DynamoDB's item size limit, minus room for the key and attribute names. */
export const DYNAMODB_MAX_BODY_BYTES = 400 * 1024 - 1024;

export type DynamoDbClaimCheckStoreOptions = {
  readonly tableName: string;
  /** @default 'pk' */
  readonly partitionKey?: string;
  /**
   * Sort key of the table and the value claim checks use for it (tables with a sort key).
   * @default - the table has no sort key
   */
  readonly sortKey?: { readonly name: string; readonly value: string };
  /** @default 'ttl' (epoch seconds; garbage collection only) */
  readonly ttlAttribute?: string;
  /** @default () => Date.now() */
  readonly nowMs?: () => number;
} & (
  | { readonly client: DynamoDBDocumentClient; readonly clientConfig?: never }
  | {
      readonly client?: never;
      /** @default - {} (region and endpoint from the environment) */
      readonly clientConfig?: ConstructorParameters<typeof DynamoDBClient>[0];
    }
);

/**
 * Claim-check store on a DynamoDB table (the coordination table or any table with a string
 * partition key). Bodies are gzip-compressed into a binary attribute, so JSON up to several
 * times DynamoDB's 400 KB item limit fits; TTL removes old items.
 *
 * @example
 * const store = new DynamoDbClaimCheckStore({ tableName: requireEnv('WORKFLOW_TABLE_NAME'),
 *   sortKey: { name: 'sk', value: 'claim' } });
 */
export class DynamoDbClaimCheckStore implements ClaimCheckStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #partitionKey: string;
  readonly #sortKey: { readonly name: string; readonly value: string } | undefined;
  readonly #ttlAttribute: string;
  readonly #nowMs: () => number;

  public constructor(options: DynamoDbClaimCheckStoreOptions) {
    this.#client =
      options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient(options.clientConfig ?? {}));
    this.#tableName = options.tableName;
    this.#partitionKey = options.partitionKey ?? 'pk';
    this.#sortKey = options.sortKey;
    this.#ttlAttribute = options.ttlAttribute ?? 'ttl';
    this.#nowMs = options.nowMs ?? (() => Date.now());
  }

  public async put(key: string, body: string, ttlSeconds: number): Promise<void> {
    const compressed = await gzipAsync(Buffer.from(body, 'utf8'));
    if (compressed.byteLength > DYNAMODB_MAX_BODY_BYTES) {
      throw new PayloadTooLargeError(
        `Claim check ${key} (gzip)`,
        compressed.byteLength,
        DYNAMODB_MAX_BODY_BYTES,
      );
    }
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...this.#key(key),
          body: compressed,
          bytes: Buffer.byteLength(body, 'utf8'),
          [this.#ttlAttribute]: Math.floor(this.#nowMs() / 1000) + ttlSeconds,
        },
      }),
    );
  }

  public async get(key: string): Promise<string | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: this.#key(key), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return (await gunzipAsync(Item.body as Uint8Array)).toString('utf8');
  }

  #key(key: string): Record<string, string> {
    return this.#sortKey
      ? { [this.#partitionKey]: key, [this.#sortKey.name]: this.#sortKey.value }
      : { [this.#partitionKey]: key };
  }
}
