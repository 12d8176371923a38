import { resolve } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import type { AutoscalerRunSummary } from '#functions/autoscaler-handler.ts';
import { ScheduleEnv } from '#shared/coordination/schedule-env.ts';
import { AUTOSCALER_ENV, type AutoscalerConfigInput } from '#shared/scaling/autoscaler.ts';
import {
  dynamodb,
  lambda,
  type Resources,
} from '#test/integration/event-source-mapping/support/esm.ts';
import { bundledLambdaZip } from '#test/integration/support/bundle.ts';

/** lanes' own autoscaler entry (what WorkerAutoscaling deploys), bundled once per test file. */
function scalerCode(): Promise<Buffer> {
  return bundledLambdaZip(resolve(import.meta.dirname, '../../../../functions/autoscaler.ts'));
}

/** A coordination table (the CoordinationTable's key schema: `pk` only). */
export async function createCoordinationTable(resources: Resources, name: string): Promise<string> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: name });
  resources.add(() => dynamodb.send(new DeleteTableCommand({ TableName: name })));
  return name;
}

/**
 * A function running lanes' autoscaler with the environment WorkerAutoscaling gives it (the
 * template tests check that mapping), created directly so each scenario gets its own policy.
 * `triggerIntervalMs` is the rule's interval: how long one invocation keeps evaluating.
 */
export async function createScaler(
  resources: Resources,
  options: {
    readonly name: string;
    readonly table: string;
    readonly config: AutoscalerConfigInput;
    readonly triggerIntervalMs: number;
  },
): Promise<string> {
  const period = options.config.policy.evaluationPeriodMs;
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: options.name,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::000000000000:role/lanes-autoscaler-test',
      Code: { ZipFile: await scalerCode() },
      Timeout: 90,
      Environment: {
        Variables: {
          [AUTOSCALER_ENV.config]: JSON.stringify(options.config),
          [ScheduleEnv.tableName]: options.table,
          [ScheduleEnv.scheduleName]: `autoscaler-${options.config.worker}`,
          [ScheduleEnv.intervalMs]: String(options.triggerIntervalMs),
          [ScheduleEnv.catchUpWindows]: '0',
          [ScheduleEnv.leaseDurationMs]: String(Math.min(60_000, Math.max(2_000, period))),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    }),
  );
  resources.add(() => lambda.send(new DeleteFunctionCommand({ FunctionName: options.name })));
  await waitUntilFunctionActiveV2(
    { client: lambda, maxWaitTime: 60 },
    { FunctionName: options.name },
  );
  return options.name;
}

/** One run of the scaler (a trigger now), with its summary and the tail of its logs. */
export async function runScaler(
  name: string,
): Promise<{ summary: AutoscalerRunSummary; logTail: string }> {
  const response = await lambda.send(
    new InvokeCommand({ FunctionName: name, LogType: 'Tail', Payload: Buffer.from('{}') }),
  );
  const payload = Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8');
  if (response.FunctionError) throw new Error(`scaler ${name} failed: ${payload}`);
  return {
    summary: JSON.parse(payload) as AutoscalerRunSummary,
    logTail: Buffer.from(response.LogResult ?? '', 'base64').toString('utf8'),
  };
}

/** The mapping's maximum concurrency and the function's reservation, sampled together. */
export async function concurrencyNow(uuid: string, functionName: string) {
  const [mapping, reserved] = await Promise.all([
    lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })),
    lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })),
  ]);
  return {
    atMs: Date.now(),
    max: mapping.ScalingConfig?.MaximumConcurrency,
    reserved: reserved.ReservedConcurrentExecutions,
  };
}

/** Samples `sample` every `intervalMs` until `stop()` resolves; returns the samples. */
export function sampleUntil<T>(
  sample: () => Promise<T>,
  stop: Promise<unknown>,
  intervalMs = 250,
): Promise<T[]> {
  const samples: T[] = [];
  let stopped = false;
  void stop.finally(() => {
    stopped = true;
  });
  return (async () => {
    while (!stopped) {
      samples.push(await sample());
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    return samples;
  })();
}
