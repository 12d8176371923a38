/**
 * Workflows benchmark (`npm run bench:workflows`: starts the embedded LocalStack and deploys
 * Lanes-Workflows when needed, like `lanes demo`; or AWS_ENDPOINT_URL). In one run, against the
 * Lanes-Workflows stack:
 * 500 order fulfilment workflows with direct Lambda tasks (the baseline), then 500 with every
 * step dispatched through the FIFO step worker queue (`.waitForTaskToken`). For each: executions
 * completed per second (first StartExecution to last stop), execution duration p50/p95, and the
 * queue/direct throughput ratio. Writes test/bench/results/workflows.json.
 *
 * `WORKFLOWS_BENCH_COUNT` changes the number per variant (default 500, the size).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';

import { benchTarget } from '#test/bench/support/target.ts';

// Before the SDK clients below are created: they read the endpoint from the environment.
const outputs = await benchTarget('Lanes-Workflows');

const { ListExecutionsCommand, SFNClient } = await import('@aws-sdk/client-sfn');
const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
const { WORKFLOWS_OUTPUTS } = await import('#orders/infra/workflows-stack.ts');
const { ClaimCheck } = await import('#shared/workflows/claim-check.ts');
const { DynamoDbClaimCheckStore } = await import('#shared/workflows/dynamodb-claim-check-store.ts');
const { executionNameFor } = await import('#shared/workflows/execution-name.ts');
const { FULFILMENT_KEYS, FulfilmentInputSchema } = await import(
  '#orders/domain/fulfilment/model.ts'
);
const { toFulfilmentInput } = await import('#orders/domain/fulfilment/steps.ts');
const { WorkflowStarter } = await import('#shared/workflows/starter.ts');

const COUNT = Number(process.env.WORKFLOWS_BENCH_COUNT ?? 500);
const START_CONCURRENCY = 10;
const TIMEOUT_MS = 30 * 60_000;
const RESULT_FILE = resolve(process.cwd(), 'test/bench/results/workflows.json');

const output = (key: string) => {
  const value = outputs[key];
  if (!value) throw new Error(`Lanes-Workflows has no output ${key}; redeploy (npm run deploy).`);
  return value;
};

const sfn = new SFNClient({});
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const claimCheck = new ClaimCheck({
  store: new DynamoDbClaimCheckStore({
    client: ddb,
    tableName: output(WORKFLOWS_OUTPUTS.TABLE_NAME),
    sortKey: { name: 'sk', value: FULFILMENT_KEYS.CLAIM_CHECK_SK },
  }),
  thresholdBytes: Number(output(WORKFLOWS_OUTPUTS.CLAIM_CHECK_THRESHOLD_BYTES)),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

async function executionsWithPrefix(stateMachineArn: string, prefix: string) {
  const found: Array<{ status?: string; startDate?: Date; stopDate?: Date }> = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }),
    );
    for (const execution of page.executions ?? []) {
      if (execution.name?.startsWith(prefix)) found.push(execution);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

async function runVariant(label: string, stateMachineArn: string) {
  const prefix = `bench-${label}-${Date.now().toString(36)}-`;
  const starter = new WorkflowStarter({
    client: sfn,
    stateMachineArn,
    schema: FulfilmentInputSchema,
  });
  const began = Date.now();
  let next = 0;
  const startOne = async () => {
    while (next < COUNT) {
      const i = next++;
      const orderId = `${prefix}${i}`;
      const input = await toFulfilmentInput(
        {
          orderId,
          customerId: `cust-${i % 50}`,
          amountCents: 1_000 + i,
          currency: 'EUR',
          email: 'buyer@example.com',
          lines: [{ sku: `sku-${i % 7}`, quantity: 1 + (i % 3) }],
        },
        executionNameFor(orderId),
        claimCheck,
      );
      await starter.start(orderId, input, `bench order ${i}`);
    }
  };
  await Promise.all(Array.from({ length: START_CONCURRENCY }, startOne));
  const startedMs = Date.now() - began;
  console.log(`[bench] ${label}: ${COUNT} started in ${(startedMs / 1000).toFixed(1)} s`);

  let executions = await executionsWithPrefix(stateMachineArn, prefix);
  while (executions.some((e) => e.status === 'RUNNING') || executions.length < COUNT) {
    if (Date.now() - began > TIMEOUT_MS)
      throw new Error(`${label}: not finished in ${TIMEOUT_MS} ms`);
    await sleep(2_000);
    executions = await executionsWithPrefix(stateMachineArn, prefix);
    const done = executions.filter((e) => e.status !== 'RUNNING').length;
    process.stdout.write(`\r[bench] ${label}: ${done}/${COUNT} finished`);
  }
  process.stdout.write('\n');
  const lastStop = Math.max(...executions.map((e) => e.stopDate?.getTime() ?? 0));
  const elapsedMs = lastStop - began;
  const durations = executions.map(
    (e) => (e.stopDate?.getTime() ?? 0) - (e.startDate?.getTime() ?? 0),
  );
  const result = {
    workflows: COUNT,
    succeeded: executions.filter((e) => e.status === 'SUCCEEDED').length,
    failed: executions.filter((e) => e.status !== 'SUCCEEDED').length,
    startPhaseSeconds: Math.round(startedMs / 100) / 10,
    elapsedSeconds: Math.round(elapsedMs / 100) / 10,
    executionsPerSecond: Math.round((COUNT / (elapsedMs / 1000)) * 100) / 100,
    durationP50Ms: percentile(durations, 0.5),
    durationP95Ms: percentile(durations, 0.95),
  };
  console.log(`[bench] ${label}: ${JSON.stringify(result)}`);
  return result;
}

// Baseline first (direct Lambda tasks), then our queue-dispatched path; one after the other so
// they do not compete for the same two cores.
const direct = await runVariant('direct', output(WORKFLOWS_OUTPUTS.DIRECT_STATE_MACHINE_ARN));
const queued = await runVariant('queue', output(WORKFLOWS_OUTPUTS.QUEUED_STATE_MACHINE_ARN));

const report = {
  benchmark: 'workflows',
  date: new Date().toISOString(),
  target: process.env.AWS_ENDPOINT_URL,
  machine: { cpus: cpus().length, node: process.version },
  setup: {
    workflowsPerVariant: COUNT,
    stepsPerWorkflow: 3,
    startConcurrency: START_CONCURRENCY,
    stepWorkerMaxConcurrency: Number(output(WORKFLOWS_OUTPUTS.STEP_WORKER_MAX_CONCURRENCY)),
    note: 'LocalStack runs Step Functions in-process and each Lambda as a local Node process; the embedded LocalStack runs the lanes SQS event source mapping, so the step worker runs up to its maximum concurrency of batches (of up to 10 steps) at once, as on AWS.',
  },
  direct,
  queue: queued,
  queueVsDirectThroughput:
    Math.round((queued.executionsPerSecond / direct.executionsPerSecond) * 100) / 100,
};
mkdirSync(dirname(RESULT_FILE), { recursive: true });
writeFileSync(RESULT_FILE, `${JSON.stringify(report, null, 2)}\n`);
console.log(`[bench] wrote ${RESULT_FILE}`);
console.log(JSON.stringify(report, null, 2));
