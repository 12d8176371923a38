import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { OWNER_PATH, PROJECT_ROOT } from '#localstack/settings.ts';
import { isLoopback, listeningSocketsOf } from '#test/integration/support/listening-sockets.ts';
import { testTarget } from '#test/integration/support/target.ts';
import { zipFiles } from '#test/integration/support/zip.ts';

/**
 * The embedded LocalStack is unauthenticated and runs any function code it is given, so it and
 * everything it starts (DynamoDB Local, Lambda runtime processes) must listen on loopback only.
 */
const target = testTarget();
const lambda = new LambdaClient({});
const functionName = `lanes-loopback-${Date.now().toString(36)}`;

describe('embedded LocalStack security', () => {
  afterAll(async () => {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: functionName })).catch(() => {});
  });

  it('says which checkout started it', async () => {
    expect(target.kind, 'this suite checks the embedded LocalStack').toBe('embedded');
    if (target.kind !== 'embedded') return;
    const response = await fetch(`${target.endpoint}${OWNER_PATH}`);
    const body = (await response.json()) as { checkout: string; pid: number };

    expect(body.checkout).toBe(PROJECT_ROOT);
    expect(body.pid).toBeGreaterThan(0);
  });

  it('listens on loopback only, with DynamoDB Local and a Lambda runtime running', async () => {
    if (target.kind !== 'embedded') throw new Error('needs the embedded LocalStack');
    // Arrange: start what listens lazily: DynamoDB Local, and a runtime process for a function.
    await new DynamoDBClient({}).send(new ListTablesCommand({}));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: functionName,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::000000000000:role/lanes-loopback-test',
        Code: { ZipFile: zipFiles({ 'index.js': 'exports.handler = async () => process.pid;' }) },
      }),
    );
    await waitUntilFunctionActiveV2(
      { client: lambda, maxWaitTime: 60 },
      { FunctionName: functionName },
    );
    const invoked = await lambda.send(new InvokeCommand({ FunctionName: functionName }));
    const runtimePid = Number(Buffer.from(invoked.Payload ?? []).toString('utf8'));
    const { pid } = (await (await fetch(`${target.endpoint}${OWNER_PATH}`)).json()) as {
      pid: number;
    };

    // Act
    const sockets = listeningSocketsOf(pid);

    // Assert: the gateway and DynamoDB Local are among them, and nothing is off loopback.
    expect(runtimePid).toBeGreaterThan(0);
    expect(sockets.map((s) => s.port)).toContain(target.port);
    expect(sockets.some((s) => s.command.includes('java'))).toBe(true);
    expect(sockets.filter((s) => !isLoopback(s.address))).toEqual([]);
  });
});
