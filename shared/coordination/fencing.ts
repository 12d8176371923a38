import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  PutItemCommand,
  type PutItemCommandInput,
  type PutItemCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { CoordinationConfigError, StaleTokenError } from './errors.ts';

/**
 * Guarded (fenced) writes: a downstream write carries the writer's fencing token and is rejected
 * when the target item has already seen a newer token. The item itself remembers the highest token
 * in `fenceAttribute`, so no extra item or read is needed: the check and the write are one
 * conditional request. Equal tokens pass (one holder writes many times).
 *
 * Tokens of different lease names are not comparable: guard one resource with one lease's tokens.
 */

/** Default attribute that stores the highest token seen by an item. */
export const DEFAULT_FENCE_ATTRIBUTE = 'fenceToken';

const FENCE_NAME = '#lanesFence';
const FENCE_VALUE = ':lanesFenceToken';
const FENCE_CONDITION = `(attribute_not_exists(${FENCE_NAME}) OR ${FENCE_NAME} <= ${FENCE_VALUE})`;

/**
 * Adds the fence to an UpdateItem input: `SET fence = token` and the condition
 * `fence absent OR fence <= token`, combined with the caller's own expression and condition.
 *
 * @example
 * const input = fenceUpdate({ TableName, Key, UpdateExpression: 'SET #s = :s', ... }, lease.token);
 */
export function fenceUpdate(
  input: UpdateItemCommandInput,
  token: number,
  fenceAttribute: string = DEFAULT_FENCE_ATTRIBUTE,
): UpdateItemCommandInput {
  assertToken(token);
  const expression = input.UpdateExpression ?? '';
  const setFence = `${FENCE_NAME} = ${FENCE_VALUE}`;
  const updateExpression = /\bSET\b/i.test(expression)
    ? expression.replace(/\bSET\b/i, `SET ${setFence},`)
    : `SET ${setFence} ${expression}`.trim();
  return {
    ...input,
    UpdateExpression: updateExpression,
    ...fenceConditionParts(input, token, fenceAttribute),
  };
}

/** Adds the fence to a PutItem input: the item gets `fence = token`, guarded by the same condition. */
export function fencePut(
  input: PutItemCommandInput,
  token: number,
  fenceAttribute: string = DEFAULT_FENCE_ATTRIBUTE,
): PutItemCommandInput {
  assertToken(token);
  return {
    ...input,
    Item: { ...input.Item, [fenceAttribute]: { N: String(token) } },
    ...fenceConditionParts(input, token, fenceAttribute),
  };
}

function fenceConditionParts(
  input: {
    ConditionExpression?: string | undefined;
    ExpressionAttributeNames?: Record<string, string> | undefined;
    ExpressionAttributeValues?: Record<string, AttributeValue> | undefined;
  },
  token: number,
  fenceAttribute: string,
) {
  return {
    ConditionExpression: input.ConditionExpression
      ? `(${input.ConditionExpression}) AND ${FENCE_CONDITION}`
      : FENCE_CONDITION,
    ExpressionAttributeNames: { ...input.ExpressionAttributeNames, [FENCE_NAME]: fenceAttribute },
    ExpressionAttributeValues: {
      ...input.ExpressionAttributeValues,
      [FENCE_VALUE]: { N: String(token) },
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

export type FencedWriterOptions = {
  /** @default DEFAULT_FENCE_ATTRIBUTE ('fenceToken') */
  readonly fenceAttribute?: string;
} & (
  | { readonly client?: DynamoDBClient; readonly clientConfig?: never }
  | { readonly client?: never; readonly clientConfig?: DynamoDBClientConfig }
);

/**
 * Sends fenced writes and turns a fence rejection into {@link StaleTokenError}. A failure of the
 * caller's own condition is rethrown unchanged.
 *
 * @example
 * const writer = new FencedWriter();
 * await writer.update({
 *   TableName: 'Reports',
 *   Key: { id: { S: 'daily' } },
 *   UpdateExpression: 'SET #body = :body',
 *   ExpressionAttributeNames: { '#body': 'body' },
 *   ExpressionAttributeValues: { ':body': { S: 'v2' } },
 * }, lease.token); // throws StaleTokenError if a newer holder already wrote
 */
export class FencedWriter {
  public readonly client: DynamoDBClient;
  public readonly fenceAttribute: string;

  public constructor(options: FencedWriterOptions = {}) {
    this.client = options.client ?? new DynamoDBClient(options.clientConfig ?? {});
    this.fenceAttribute = options.fenceAttribute ?? DEFAULT_FENCE_ATTRIBUTE;
  }

  public async update(
    input: UpdateItemCommandInput,
    token: number,
  ): Promise<UpdateItemCommandOutput> {
    try {
      return await this.client.send(
        new UpdateItemCommand(fenceUpdate(input, token, this.fenceAttribute)),
      );
    } catch (error) {
      throw this.#translate(error, input, token);
    }
  }

  public async put(input: PutItemCommandInput, token: number): Promise<PutItemCommandOutput> {
    try {
      return await this.client.send(
        new PutItemCommand(fencePut(input, token, this.fenceAttribute)),
      );
    } catch (error) {
      throw this.#translate(error, input, token);
    }
  }

  #translate(
    error: unknown,
    input: {
      TableName?: string | undefined;
      Key?: Record<string, AttributeValue> | undefined;
      Item?: Record<string, AttributeValue> | undefined;
    },
    token: number,
  ): unknown {
    if (!(error instanceof ConditionalCheckFailedException)) return error;
    const seen = error.Item?.[this.fenceAttribute]?.N;
    if (seen === undefined || Number(seen) <= token) return error; // the caller's own condition failed
    const key = input.Key ?? input.Item ?? {};
    const resource = `${input.TableName ?? '?'}/${JSON.stringify(key)}`;
    return new StaleTokenError(resource, token, Number(seen), { cause: error });
  }
}

function assertToken(token: number): void {
  if (!Number.isSafeInteger(token) || token < 0) {
    throw new CoordinationConfigError(
      'token',
      token,
      'must be a non-negative safe integer (a lease token)',
    );
  }
}
