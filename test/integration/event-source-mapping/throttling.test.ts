import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  waitUntilStackCreateComplete,
} from '@aws-sdk/client-cloudformation';
import { GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRecordsTable,
  lambda,
  lanesMappingAvailable,
  mappingStats,
  NEEDS_EMBEDDED,
  peakOverlap,
  Resources,
  recorderCode,
  sendAll,
  waitForProcessed,
} from './support/esm.ts';

/**
 * Reserved concurrency set in a CloudFormation template is applied, and a mapping whose
 * maximum concurrency is above it gets throttled invocations: the batch is not processed and
 * comes back after the visibility timeout with a higher receive count (the failure mode the
 * Worker construct's synth rule prevents).
 */
const run = `esmt${Date.now().toString(36)}`;
const resources = new Resources();
const cloudformation = new CloudFormationClient({});
const s3 = new S3Client({ forcePathStyle: true });
const stackName = `lanes-esm-throttling-${run}`;
const RESERVED = 2;
let available = false;
let table = '';
let outputs: Record<string, string> = {};

function template(bucket: string, key: string) {
  const fn = (runId: string) => ({
    Type: 'AWS::Lambda::Function',
    Properties: {
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::000000000000:role/lanes-esm-test',
      Timeout: 30,
      ReservedConcurrentExecutions: RESERVED,
      Code: { S3Bucket: bucket, S3Key: key },
      Environment: {
        Variables: {
          RECORDS_TABLE: table,
          RUN_ID: runId,
          WORK_MS: '400',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    },
  });
  // A short visibility timeout brings throttled batches back within seconds.
  const queue = { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 4 } };
  const mapping = (fnId: string, queueId: string, maximumConcurrency: number) => ({
    Type: 'AWS::Lambda::EventSourceMapping',
    Properties: {
      FunctionName: { Ref: fnId },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: maximumConcurrency },
    },
  });
  return {
    Resources: {
      CappedQueue: queue,
      CappedFunction: fn(`${run}-capped`),
      CappedMapping: mapping('CappedFunction', 'CappedQueue', RESERVED),
      OverQueue: queue,
      OverFunction: fn(`${run}-over`),
      OverMapping: mapping('OverFunction', 'OverQueue', 5),
    },
    Outputs: {
      CappedFunction: { Value: { Ref: 'CappedFunction' } },
      CappedQueueUrl: { Value: { Ref: 'CappedQueue' } },
      CappedMapping: { Value: { Ref: 'CappedMapping' } },
      OverFunction: { Value: { Ref: 'OverFunction' } },
      OverQueueUrl: { Value: { Ref: 'OverQueue' } },
      OverMapping: { Value: { Ref: 'OverMapping' } },
    },
  };
}

beforeAll(async () => {
  available = await lanesMappingAvailable();
  if (!available) return;
  table = await createRecordsTable(resources, `lanes-esm-throttling-${run}`);
  const bucket = `lanes-esm-code-${run}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'recorder.zip', Body: await recorderCode() }),
  );
  await cloudformation.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify(template(bucket, 'recorder.zip')),
    }),
  );
  resources.add(() => cloudformation.send(new DeleteStackCommand({ StackName: stackName })));
  await waitUntilStackCreateComplete(
    { client: cloudformation, maxWaitTime: 240 },
    { StackName: stackName },
  );
  const { Stacks = [] } = await cloudformation.send(
    new DescribeStacksCommand({ StackName: stackName }),
  );
  outputs = Object.fromEntries(
    (Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
  );
}, 300_000);

afterAll(() => resources.release());

const queueOf = (url: string) => ({ url, arn: '' });
const bodies = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ body: JSON.stringify({ n: i }) }));

describe('Reserved concurrency from CloudFormation', () => {
  it(`applies ReservedConcurrentExecutions ${RESERVED}: a mapping capped at it runs ${RESERVED} at once and is never throttled`, async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const concurrency = await lambda.send(
      new GetFunctionConcurrencyCommand({ FunctionName: outputs.CappedFunction }),
    );
    expect(concurrency.ReservedConcurrentExecutions).toBe(RESERVED);

    await sendAll(queueOf(outputs.CappedQueueUrl ?? ''), bodies(20));
    const all = await waitForProcessed(table, `${run}-capped`, 20, 180_000);
    const stats = await mappingStats(outputs.CappedMapping ?? '');
    console.info(
      `[esm] capped: function-side peak ${peakOverlap(all)}, throttles ${stats.throttles}`,
    );
    expect(peakOverlap(all)).toBe(RESERVED);
    expect(stats.throttles).toBe(0);
    expect(Math.max(...all.flatMap((i) => i.records.map((r) => r.receiveCount)))).toBe(1);
  });

  it(`a mapping with maximum concurrency 5 over reserved ${RESERVED} is throttled: batches come back with rising receive counts`, async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    await sendAll(queueOf(outputs.OverQueueUrl ?? ''), bodies(20));
    const all = await waitForProcessed(table, `${run}-over`, 20, 240_000);
    const stats = await mappingStats(outputs.OverMapping ?? '');
    const receiveCounts = all.flatMap((i) => i.records.map((r) => r.receiveCount));
    const redelivered = receiveCounts.filter((count) => count > 1).length;
    console.info(
      `[esm] over-reserved: function-side peak ${peakOverlap(all)}, throttles ${stats.throttles}, ${redelivered}/20 processed on a later receive (max receive count ${Math.max(...receiveCounts)})`,
    );
    expect(peakOverlap(all)).toBe(RESERVED);
    expect(stats.throttles).toBeGreaterThan(0);
    expect(redelivered).toBeGreaterThan(0);
    expect(Math.max(...receiveCounts)).toBeGreaterThanOrEqual(2);
  });
});
