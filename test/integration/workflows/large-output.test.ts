import { fileURLToPath } from 'node:url';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambdaCdk from 'aws-cdk-lib/aws-lambda';
import * as sqsCdk from 'aws-cdk-lib/aws-sqs';
import * as sfnCdk from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaStep, queueStep } from '#infra/workflow-steps.ts';
import { FULFILMENT_KEYS } from '#orders/domain/fulfilment/model.ts';
import { ClaimCheck, type ClaimCheckRef } from '#shared/workflows/claim-check.ts';
import { DynamoDbClaimCheckStore } from '#shared/workflows/dynamodb-claim-check-store.ts';
import { PAYLOAD_LIMITS } from '#shared/workflows/payload.ts';
import { CLAIM_CHECK_ENV } from '#shared/workflows/step-output.ts';
import { bundledLambdaZip } from '#test/integration/support/bundle.ts';
import { ddb, sfn, sqs, waitFor, waitForEnd, workflowsOutputs } from './support.ts';

/**
 * A step returning more than the 256 KB Step Functions limit, through the real step helpers in
 * Lambda functions on LocalStack: `createDirectStepHandler` behind `lambdaStep`, and the step
 * worker (`createWorkerHandler` + `createStepProcessor`) behind `queueStep`. The state machines
 * are rendered from those CDK helpers, so the test covers what a deployed workflow runs.
 */
const run = `lo${Date.now().toString(36)}`;
const ACCOUNT = '000000000000';
const REGION = process.env.AWS_REGION ?? 'us-east-1';
const HEARTBEAT_SECONDS = 30;
const lambda = new LambdaClient({});

/** Replaces the CloudFormation partition token the CDK helpers leave in resource ARNs. */
function resolvePartition(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolvePartition);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record.Ref === 'AWS::Partition') return 'aws';
    const join = record['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return join[1].map(resolvePartition).join(join[0]);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolvePartition(v)]));
  }
  return value;
}

/** The ASL of a chain built with the project's step helpers. */
function definitionOf(build: (stack: Stack) => sfnCdk.IChainable): string {
  const stack = new Stack(new App(), 'LargeOutput', { env: { account: ACCOUNT, region: REGION } });
  const graph = new sfnCdk.StateGraph(sfnCdk.Chain.start(build(stack)).startState, 'test');
  return JSON.stringify(resolvePartition(stack.resolve(graph.toGraphJson())));
}

describe('Step outputs above 256 KB go behind a claim check (LocalStack)', () => {
  const outputs = workflowsOutputs();
  const claimCheck = new ClaimCheck({
    store: new DynamoDbClaimCheckStore({
      client: ddb,
      tableName: outputs.tableName,
      sortKey: { name: 'sk', value: FULFILMENT_KEYS.CLAIM_CHECK_SK },
    }),
  });
  const functions: string[] = [];
  let mappingId = '';
  let queueUrl = '';
  let bothArn = '';
  let queueOnlyArn = '';

  async function createFunction(name: string, handler: string, code: Buffer): Promise<string> {
    const { FunctionArn = '' } = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: handler,
        Role: `arn:aws:iam::${ACCOUNT}:role/lanes-large-output-test`,
        Code: { ZipFile: code },
        Timeout: 30,
        MemorySize: 512,
        Environment: {
          Variables: {
            [CLAIM_CHECK_ENV.TABLE_NAME]: outputs.tableName,
            [CLAIM_CHECK_ENV.SORT_KEY]: `sk=${FULFILMENT_KEYS.CLAIM_CHECK_SK}`,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            POWERTOOLS_METRICS_DISABLED: 'true',
          },
        },
      }),
    );
    functions.push(name);
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: name });
    return FunctionArn;
  }

  beforeAll(async () => {
    const code = await bundledLambdaZip(
      fileURLToPath(new URL('./support/large-step-functions.ts', import.meta.url)),
    );
    const directArn = await createFunction(`lanes-lo-direct-${run}`, 'index.direct', code);
    await createFunction(`lanes-lo-worker-${run}`, 'index.worker', code);

    ({ QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({
        QueueName: `lanes-lo-${run}`,
        Attributes: { VisibilityTimeout: '60' },
      }),
    ));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = Attributes?.QueueArn ?? '';
    ({ UUID: mappingId = '' } = await lambda.send(
      new CreateEventSourceMappingCommand({
        EventSourceArn: queueArn,
        FunctionName: `lanes-lo-worker-${run}`,
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ));
    await waitFor(
      'the step worker mapping to be enabled',
      async () => {
        const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: mappingId }));
        return State === 'Enabled' ? true : undefined;
      },
      60_000,
    );

    const parts = (stack: Stack) => ({
      direct: lambdaStep(stack, 'Direct', {
        function: lambdaCdk.Function.fromFunctionAttributes(stack, 'Fn', {
          functionArn: directArn,
          sameEnvironment: true,
        }),
        resultPath: '$.direct',
      }),
      queued: queueStep(stack, 'Queued', {
        queue: sqsCdk.Queue.fromQueueAttributes(stack, 'Queue', { queueArn, queueUrl }),
        step: 'large',
        resultPath: '$.queued',
        heartbeatTimeout: Duration.seconds(HEARTBEAT_SECONDS),
        taskTimeout: Duration.seconds(120),
      }),
    });
    const create = async (suffix: string, definition: string) => {
      const { stateMachineArn = '' } = await sfn.send(
        new CreateStateMachineCommand({
          name: `lanes-lo-${suffix}-${run}`,
          roleArn: `arn:aws:iam::${ACCOUNT}:role/lanes-large-output-test`,
          definition,
        }),
      );
      return stateMachineArn;
    };
    bothArn = await create(
      'both',
      definitionOf((stack) => {
        const { direct, queued } = parts(stack);
        return direct.next(queued);
      }),
    );
    queueOnlyArn = await create(
      'queue',
      definitionOf((stack) => parts(stack).queued),
    );
  });

  afterAll(async () => {
    for (const stateMachineArn of [bothArn, queueOnlyArn].filter(Boolean)) {
      await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
    }
    if (mappingId) await lambda.send(new DeleteEventSourceMappingCommand({ UUID: mappingId }));
    for (const name of functions)
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  });

  const start = async (stateMachineArn: string, name: string, input: Record<string, unknown>) => {
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: `${run}-${name}`,
        input: JSON.stringify({ businessKey: `${run}-${name}`, ...input }),
      }),
    );
    return waitForEnd(executionArn, 180_000);
  };

  it('a direct and a queue-dispatched step each returning 300 KB succeed, their outputs behind claim checks', async () => {
    const bytes = 300_000;
    expect(bytes).toBeGreaterThan(PAYLOAD_LIMITS.STATE_BYTES);

    const ended = await start(bothArn, 'ok', { bytes });

    expect(ended.error ?? null).toBeNull();
    expect(ended.status).toBe('SUCCEEDED');
    const state = JSON.parse(ended.output ?? '{}') as { direct: unknown; queued: unknown };
    for (const path of ['direct', 'queued'] as const) {
      expect(ClaimCheck.isRef(state[path]), path).toBe(true);
      const value = await claimCheck.resolve<{ text: string; bytes: number }>(
        state[path] as ClaimCheckRef,
      );
      expect(value.bytes).toBe(bytes);
      expect(value.text).toBe('x'.repeat(bytes));
    }
    // The state itself stayed small: two references and the input.
    expect(Buffer.byteLength(ended.output ?? '')).toBeLessThan(2_000);
  });

  it('direct: an output that cannot be stored fails the task at once with ClaimCheckStoreError and the cause', async () => {
    // 600,000 random base64 characters stay about 450 KB once gzipped: above DynamoDB's 400 KB item.
    const ended = await start(bothArn, 'direct-bad', { bytes: 600_000, incompressible: true });

    expect(ended.status).toBe('FAILED');
    expect(ended.error).toBe('ClaimCheckStoreError');
    expect(ended.cause).toMatch(
      /Output of step large \(600\d{3} bytes\) goes behind a claim check, but storing it failed: PayloadTooLargeError/,
    );
  });

  it('queue: an output that cannot be stored fails the task at once (SendTaskFailure), not after the heartbeat timeout', async () => {
    const ended = await start(queueOnlyArn, 'queue-bad', { bytes: 600_000, incompressible: true });

    expect(ended.status).toBe('FAILED');
    expect(ended.error).toBe('ClaimCheckStoreError');
    expect(ended.cause).toMatch(
      /storing it failed: PayloadTooLargeError: Claim check claim#[0-9a-f]{64} \(gzip\) is \d+ bytes, above the limit/,
    );
    const elapsedMs = (ended.stopDate?.getTime() ?? 0) - (ended.startDate?.getTime() ?? 0);
    expect(elapsedMs).toBeLessThan(HEARTBEAT_SECONDS * 1_000);
  });
});
