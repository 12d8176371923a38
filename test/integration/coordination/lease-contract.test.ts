import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDBLeaseStore } from '#shared/coordination/dynamodb-lease-store.ts';
import { createCoordinationTable } from '#test/integration/coordination/support/table.ts';
import { leaseContract } from '#test/unit/coordination/support/lease-contract.ts';

// The same expiry-edge contract as the unit tests' memory model, against DynamoDB on LocalStack:
// the manual clock's time goes into the real condition expressions.
const client = new DynamoDBClient({});
let tableName = '';
let drop: () => Promise<void> = async () => {};
let counter = 0;

beforeAll(async () => {
  ({ tableName, drop } = await createCoordinationTable(client));
});
afterAll(async () => drop());

leaseContract(
  'DynamoDB',
  (options) => new DynamoDBLeaseStore({ ...options, tableName, client }),
  () => `contract-${++counter}`,
);
