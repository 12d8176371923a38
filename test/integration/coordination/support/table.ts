import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { CoordinationKeys } from '#shared/coordination/keys.ts';

/**
 * A fresh coordination table with the construct's key schema (pk only), created with the SDK on
 * the LocalStack the integration setup provides, so each test file owns its data.
 */
export async function createCoordinationTable(
  client: DynamoDBClient = new DynamoDBClient({}),
): Promise<{ tableName: string; client: DynamoDBClient; drop: () => Promise<void> }> {
  const tableName = `coordination-test-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: CoordinationKeys.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: CoordinationKeys.partitionKey, KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
  return {
    tableName,
    client,
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
    },
  };
}

/**
 * Registers `beforeAll`/`afterAll` hooks that give the calling test file its own coordination
 * table. Read `name` inside tests and hooks only: the table exists from `beforeAll` on.
 *
 * @example
 * const table = useCoordinationTable(client);
 * it('...', async () => { new DynamoDBLeaseStore({ tableName: table.name, client }); });
 */
export function useCoordinationTable(client: DynamoDBClient = new DynamoDBClient({})): {
  readonly name: string;
} {
  let table: Awaited<ReturnType<typeof createCoordinationTable>> | undefined;
  beforeAll(async () => {
    table = await createCoordinationTable(client);
  });
  afterAll(async () => table?.drop());
  return {
    get name() {
      if (!table)
        throw new Error(
          'useCoordinationTable: the table is created in beforeAll; read name inside a test',
        );
      return table.tableName;
    },
  };
}
