import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { COORDINATION_OUTPUTS } from '#orders/infra/coordination-stack.ts';
import { ExecutionConflictError, WorkflowStartInProgressError } from '#shared/workflows/errors.ts';
import { START_STATUS, WorkflowStarter } from '#shared/workflows/starter.ts';
import { stackOutput } from '#test/integration/support/outputs.ts';
import { waitFor } from './support.ts';

/**
 * Express workflows have no name-based idempotency, so the starter guards them: an Express
 * machine that counts its runs in DynamoDB is started many times for one key, and runs once.
 */
const run = `ex${Date.now().toString(36)}`;
const ddb = new DynamoDBClient({});
const tableName = stackOutput('Lanes-Coordination', COORDINATION_OUTPUTS.TABLE_NAME);
const InputSchema = z.object({ businessKey: z.string(), amount: z.number() });

/** An SFN client that counts StartExecution calls (SDK middleware, once per HTTP attempt). */
function countingSfn() {
  const client = new SFNClient({});
  const counter = { starts: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'StartExecutionCommand') counter.starts++;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'lanesStartCounter' },
  );
  return { client, counter };
}

describe('WorkflowStarter on an Express state machine (LocalStack)', () => {
  const sfn = new SFNClient({});
  let stateMachineArn = '';

  beforeAll(async () => {
    ({ stateMachineArn = '' } = await sfn.send(
      new CreateStateMachineCommand({
        name: `lanes-express-${run}`,
        type: 'EXPRESS',
        roleArn: 'arn:aws:iam::000000000000:role/lanes-express-test',
        definition: JSON.stringify({
          StartAt: 'CountRun',
          States: {
            CountRun: {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:updateItem',
              Parameters: {
                TableName: tableName,
                Key: { pk: { 'S.$': "States.Format('express-run#{}', $.businessKey)" } },
                UpdateExpression: 'ADD #runs :one',
                ExpressionAttributeNames: { '#runs': 'runs' },
                ExpressionAttributeValues: { ':one': { N: '1' } },
              },
              End: true,
            },
          },
        }),
      }),
    ));
  });
  afterAll(async () => {
    if (stateMachineArn) await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
  });

  async function runs(key: string): Promise<number> {
    const { Item } = await ddb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `express-run#${key}` } },
        ConsistentRead: true,
      }),
    );
    return Number(Item?.runs?.N ?? 0);
  }

  const guardedStarter = (client: SFNClient) =>
    new WorkflowStarter({
      client,
      stateMachineArn,
      schema: InputSchema,
      express: { tableName, client: ddb },
    });

  it('starts one execution for a key however often, and at once, the start is repeated', async () => {
    const key = `${run}-once`;
    const input = { businessKey: key, amount: 5 };
    const { client, counter } = countingSfn();
    const starter = guardedStarter(client);

    const first = await starter.start(key, input, 'test event 1');
    const again = await starter.start(key, input, 'test event 1 (redelivered)');
    // Five more at once, from separate starter instances (separate Lambda environments).
    const concurrent = await Promise.allSettled(
      Array.from({ length: 5 }, () => guardedStarter(client).start(key, input, 'test burst')),
    );

    expect(first.status).toBe(START_STATUS.STARTED);
    expect(again).toMatchObject({
      status: START_STATUS.DUPLICATE,
      executionArn: first.executionArn,
    });
    for (const outcome of concurrent) {
      if (outcome.status === 'fulfilled') expect(outcome.value.status).toBe(START_STATUS.DUPLICATE);
      else expect(outcome.reason).toBeInstanceOf(WorkflowStartInProgressError);
    }
    expect(counter.starts).toBe(1);
    await waitFor(
      'the Express execution to count its run',
      async () => ((await runs(key)) === 1 ? true : undefined),
      30_000,
      250,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await runs(key)).toBe(1);
  });

  it('refuses the same key with a different input as a conflict, starting nothing', async () => {
    const key = `${run}-conflict`;
    const { client, counter } = countingSfn();
    const starter = guardedStarter(client);
    await starter.start(key, { businessKey: key, amount: 1 }, 'test');

    await expect(
      starter.start(key, { businessKey: key, amount: 2 }, 'test'),
    ).rejects.toBeInstanceOf(ExecutionConflictError);
    expect(counter.starts).toBe(1);
  });

  it('without the guard, every repeated start reaches StartExecution (the gap the guard closes)', async () => {
    const key = `${run}-unguarded`;
    const { client, counter } = countingSfn();
    const starter = new WorkflowStarter({ client, stateMachineArn, schema: InputSchema });
    for (let i = 0; i < 3; i++) await starter.start(key, { businessKey: key, amount: 5 }, 'test');
    // On AWS each of these starts an Express execution (names do not deduplicate there).
    expect(counter.starts).toBe(3);
  });
});
