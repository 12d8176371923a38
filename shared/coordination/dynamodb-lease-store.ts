import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CoordinationKeys, LeaseAttributes } from './keys.ts';
import {
  type AcquireRequest,
  type ConditionalOutcome,
  type HolderRequest,
  type LeaseRecord,
  LeaseStore,
  type LeaseStoreOptions,
} from './lease.ts';

/** Where the coordination table is and how to reach it: a client, or a config for a new one. */
export type DynamoDBTableOptions = {
  /** Name of the coordination table (see `CoordinationTable`). */
  readonly tableName: string;
} & (
  | { readonly client?: DynamoDBClient; readonly clientConfig?: never }
  | { readonly client?: never; readonly clientConfig?: DynamoDBClientConfig }
);

export type DynamoDBLeaseStoreOptions = DynamoDBTableOptions & LeaseStoreOptions;

const NAMES = {
  '#pk': CoordinationKeys.partitionKey,
  '#holder': LeaseAttributes.holder,
  '#token': LeaseAttributes.token,
  '#exp': LeaseAttributes.expiresAtMs,
} as const;

/** The holder/token guard of every holder-only write. */
const HOLDER_GUARD = '#holder = :owner AND #token = :token';

/**
 * Leases in the coordination table. One conditional UpdateItem per operation, no scans; a failed
 * condition returns the blocking item (`ALL_OLD`). See {@link LeaseStore} for the semantics.
 *
 * @example
 * const leases = new DynamoDBLeaseStore({ tableName: 'Lanes-Coordination', defaultDurationMs: 10_000 });
 * const lease = await leases.acquire('reconciler');
 */
export class DynamoDBLeaseStore extends LeaseStore {
  public readonly client: DynamoDBClient;
  public readonly tableName: string;

  public constructor(options: DynamoDBLeaseStoreOptions) {
    super(options);
    this.tableName = options.tableName;
    this.client = options.client ?? new DynamoDBClient(options.clientConfig ?? {});
  }

  protected override acquireRecord(request: AcquireRequest): Promise<ConditionalOutcome> {
    return this.#update(request.name, {
      UpdateExpression:
        'SET #holder = :owner, #exp = :exp, #acq = :now, #ttl = :ttl, ' +
        '#token = if_not_exists(#token, :base) + :one',
      // Free when: never acquired, released or only created by raiseState (no holder), or expired.
      ConditionExpression:
        'attribute_not_exists(#pk) OR attribute_not_exists(#holder) OR #exp < :now',
      ExpressionAttributeNames: {
        ...NAMES,
        '#acq': LeaseAttributes.acquiredAtMs,
        '#ttl': LeaseAttributes.ttl,
      },
      ExpressionAttributeValues: {
        ':owner': { S: request.owner },
        ':exp': num(request.expiresAtMs),
        ':now': num(request.nowMs),
        ':ttl': num(request.gcAtSeconds),
        ':base': num(request.tokenBase),
        ':one': num(1),
      },
    });
  }

  protected override renewRecord(
    request: HolderRequest & { expiresAtMs: number; gcAtSeconds: number },
  ): Promise<ConditionalOutcome> {
    return this.#update(request.name, {
      UpdateExpression: 'SET #exp = :exp, #ttl = :ttl',
      ConditionExpression: HOLDER_GUARD,
      ExpressionAttributeNames: {
        '#holder': NAMES['#holder'],
        '#token': NAMES['#token'],
        '#exp': NAMES['#exp'],
        '#ttl': LeaseAttributes.ttl,
      },
      ExpressionAttributeValues: {
        ...holderValues(request),
        ':exp': num(request.expiresAtMs),
        ':ttl': num(request.gcAtSeconds),
      },
    });
  }

  protected override releaseRecord(request: HolderRequest): Promise<ConditionalOutcome> {
    return this.#update(request.name, {
      UpdateExpression: 'SET #exp = :zero REMOVE #holder',
      ConditionExpression: HOLDER_GUARD,
      ExpressionAttributeNames: {
        '#holder': NAMES['#holder'],
        '#token': NAMES['#token'],
        '#exp': NAMES['#exp'],
      },
      ExpressionAttributeValues: { ...holderValues(request), ':zero': num(0) },
    });
  }

  protected override writeStateRecord(
    request: HolderRequest & { values: Readonly<Record<string, number>> },
  ): Promise<ConditionalOutcome> {
    const names: Record<string, string> = {
      '#holder': NAMES['#holder'],
      '#token': NAMES['#token'],
    };
    const values: Record<string, AttributeValue> = holderValues(request);
    const sets = Object.entries(request.values).map(([attribute, value], i) => {
      names[`#s${i}`] = attribute;
      values[`:s${i}`] = num(value);
      return `#s${i} = :s${i}`;
    });
    return this.#update(request.name, {
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: HOLDER_GUARD,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  protected override async raiseStateRecord(request: {
    name: string;
    attribute: string;
    value: number;
    gcAtSeconds: number;
  }): Promise<boolean> {
    const outcome = await this.#update(request.name, {
      UpdateExpression: 'SET #a = :v, #ttl = if_not_exists(#ttl, :ttl)',
      ConditionExpression: 'attribute_not_exists(#a) OR #a < :v',
      ExpressionAttributeNames: { '#a': request.attribute, '#ttl': LeaseAttributes.ttl },
      ExpressionAttributeValues: { ':v': num(request.value), ':ttl': num(request.gcAtSeconds) },
    });
    return outcome.ok;
  }

  protected override async readRecord(name: string): Promise<LeaseRecord | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.#key(name), ConsistentRead: true }),
    );
    return result.Item ? toRecord(name, result.Item) : undefined;
  }

  async #update(
    name: string,
    input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>,
  ): Promise<ConditionalOutcome> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          ...input,
          TableName: this.tableName,
          Key: this.#key(name),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, record: toRecord(name, result.Attributes ?? {}) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { ok: false, current: error.Item ? toRecord(name, error.Item) : undefined };
      }
      throw error;
    }
  }

  #key(name: string): Record<string, AttributeValue> {
    return { [CoordinationKeys.partitionKey]: { S: CoordinationKeys.lease(name) } };
  }
}

const CORE = new Set<string>([CoordinationKeys.partitionKey, ...Object.values(LeaseAttributes)]);

/** Turns a lease item into a record; other numeric attributes become `state`. */
export function toRecord(name: string, item: Record<string, AttributeValue>): LeaseRecord {
  const state: Record<string, number> = {};
  for (const [attribute, value] of Object.entries(item)) {
    if (!CORE.has(attribute) && value.N !== undefined) state[attribute] = Number(value.N);
  }
  const token = item[LeaseAttributes.token]?.N;
  const expiresAtMs = item[LeaseAttributes.expiresAtMs]?.N;
  return {
    name,
    holder: item[LeaseAttributes.holder]?.S,
    token: token === undefined ? undefined : Number(token),
    expiresAtMs: expiresAtMs === undefined ? undefined : Number(expiresAtMs),
    state,
  };
}

function num(value: number): AttributeValue {
  return { N: String(value) };
}

function holderValues(request: HolderRequest): Record<string, AttributeValue> {
  return { ':owner': { S: request.owner }, ':token': num(request.token) };
}
