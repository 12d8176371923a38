import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CoordinationKeys } from './keys.ts';
import { assertPositiveInteger } from './lease.ts';
import { DEFAULT_IDEMPOTENCY_RETENTION_SECONDS } from './retention.ts';

/**
 * Powertools idempotency configured for the coordination table: records live under
 * `pk = idem#<prefix>#<hash>`, the record expiry is the table's `ttl` attribute (Powertools checks
 * it in its own condition, so TTL deletion only collects garbage), the in-progress expiry follows
 * the invocation's remaining time (Powertools reads it from the Lambda context), duplicates get the
 * stored result, and the payload hash flags a different payload under the same key.
 *
 * Spread the result into `makeIdempotent(fn, { ...powertoolsIdempotency(...) })`.
 *
 * @example
 * export const handler = makeIdempotent(
 *   async (event: EventBridgeEvent<'OrderPlaced', Order>) => placeOrder(event.detail),
 *   powertoolsIdempotency({ tableName: requireEnv('COORDINATION_TABLE_NAME'), keyPrefix: 'orders' }),
 * );
 */
export function powertoolsIdempotency(options: {
  readonly tableName: string;
  /** Keeps records of different handlers apart. */
  readonly keyPrefix: string;
  /** JMESPath of the idempotency key in the payload. @default 'id' (the event id) */
  readonly keyPath?: string;
  /** JMESPath of the part whose hash must match for duplicates. @default 'detail' */
  readonly payloadPath?: string;
  /**
   * How long a completed record is kept.
   * @default DEFAULT_IDEMPOTENCY_RETENTION_SECONDS (14 days, see retention.ts)
   */
  readonly expiresAfterSeconds?: number;
  /** @default - a new client */
  readonly client?: DynamoDBClient;
}): {
  persistenceStore: DynamoDBPersistenceLayer;
  config: IdempotencyConfig;
  keyPrefix: string;
} {
  const expiresAfterSeconds = options.expiresAfterSeconds ?? DEFAULT_IDEMPOTENCY_RETENTION_SECONDS;
  assertPositiveInteger('expiresAfterSeconds', expiresAfterSeconds);
  return {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      keyAttr: CoordinationKeys.partitionKey,
      expiryAttr: CoordinationKeys.ttlAttribute,
      ...(options.client ? { awsSdkV3Client: options.client } : {}),
    }),
    config: new IdempotencyConfig({
      eventKeyJmesPath: options.keyPath ?? 'id',
      payloadValidationJmesPath: options.payloadPath ?? 'detail',
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds,
    }),
    keyPrefix: `idem#${options.keyPrefix}`,
  };
}
