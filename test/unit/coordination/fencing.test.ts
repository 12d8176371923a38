import { describe, expect, it } from 'vitest';
import { fencePut, fenceUpdate } from '#shared/coordination/fencing.ts';
import { hashPayload } from '#shared/coordination/transactional-idempotency.ts';

describe('fenceUpdate', () => {
  it('adds the fence to an existing SET clause and combines the conditions', () => {
    const input = fenceUpdate(
      {
        TableName: 't',
        Key: { id: { S: 'r' } },
        UpdateExpression: 'SET #v = :v ADD #n :one',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeNames: { '#v': 'value', '#n': 'count' },
        ExpressionAttributeValues: { ':v': { S: 'x' }, ':one': { N: '1' } },
      },
      42,
    );
    expect(input.UpdateExpression).toBe('SET #lanesFence = :lanesFenceToken, #v = :v ADD #n :one');
    expect(input.ConditionExpression).toBe(
      '(attribute_exists(id)) AND (attribute_not_exists(#lanesFence) OR #lanesFence <= :lanesFenceToken)',
    );
    expect(input.ExpressionAttributeNames).toMatchObject({
      '#lanesFence': 'fenceToken',
      '#v': 'value',
    });
    expect(input.ExpressionAttributeValues).toMatchObject({ ':lanesFenceToken': { N: '42' } });
    expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('adds a SET clause when the update has none', () => {
    const input = fenceUpdate(
      { TableName: 't', Key: {}, UpdateExpression: 'ADD #n :one' },
      1,
      'ft',
    );
    expect(input.UpdateExpression).toBe('SET #lanesFence = :lanesFenceToken ADD #n :one');
    expect(input.ExpressionAttributeNames).toEqual({ '#lanesFence': 'ft' });
  });

  it('rejects a token that is not a safe non-negative integer', () => {
    expect(() => fenceUpdate({ TableName: 't', Key: {} }, -1)).toThrow(/token: .*given -1/);
  });
});

describe('fencePut', () => {
  it('stores the token on the item under the fence condition', () => {
    const input = fencePut({ TableName: 't', Item: { id: { S: 'r' } } }, 7);
    expect(input.Item).toEqual({ id: { S: 'r' }, fenceToken: { N: '7' } });
    expect(input.ConditionExpression).toBe(
      '(attribute_not_exists(#lanesFence) OR #lanesFence <= :lanesFenceToken)',
    );
  });
});

describe('hashPayload', () => {
  it('ignores object key order and distinguishes different values', () => {
    expect(hashPayload({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(
      hashPayload({ b: [1, { d: 3, c: 2 }], a: 1 }),
    );
    expect(hashPayload({ a: 1 })).not.toBe(hashPayload({ a: 2 }));
  });
});
