import { parseArgs } from 'node:util';
import {
  GetFunctionConcurrencyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  PutFunctionConcurrencyCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readOutputs } from '#cli/deploy.ts';
import { type EsmMappingStats, readEsmStats } from '#localstack/esm-stats.ts';

/** Workers of Lanes-Pipeline, by the names the CLI accepts, with their stack output keys. */
export const PIPELINE_WORKERS = {
  orders: { queue: 'OrdersQueueUrl', dlq: 'OrdersDlqUrl', fn: 'OrdersFunctionName' },
  notifications: {
    queue: 'NotificationsQueueUrl',
    dlq: 'NotificationsDlqUrl',
    fn: 'NotificationsFunctionName',
  },
} as const;
type WorkerName = keyof typeof PIPELINE_WORKERS;

/**
 * A point-in-time view of one worker: queue depths, DLQ depth, concurrency settings and, on the
 * embedded LocalStack, the mapping's live figures (invocations in flight, peak, throttles).
 */
export interface WorkerSnapshot {
  worker: WorkerName;
  visible: number;
  inFlight: number;
  deadLetters: number;
  reservedConcurrency?: number;
  maxConcurrency?: number;
  mappingState?: string;
  /** Invocations of the mapping in flight now (embedded LocalStack only). */
  concurrency?: number;
  /** Most invocations in flight at once since the mapping started or was reset. */
  peakConcurrency?: number;
  /** Throttled invocations since the mapping started or was reset. */
  throttles?: number;
}

/** The live figures of the embedded LocalStack's mappings by UUID; empty elsewhere. */
async function mappingFigures(): Promise<Map<string, EsmMappingStats>> {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) return new Map();
  try {
    const doc = await readEsmStats(endpoint);
    return new Map((doc?.mappings ?? []).map((m) => [m.uuid, m]));
  } catch {
    return new Map(); // the figures are extra: watch still shows the rest
  }
}

function pipelineOutput(key: string): string {
  const outputs = readOutputs()['Lanes-Pipeline'];
  const value = outputs?.[key];
  if (!value)
    throw new Error(`Lanes-Pipeline has no output ${key}: deploy it first (npm run deploy).`);
  return value;
}

function workerNamed(name: string | undefined): WorkerName {
  if (name && name in PIPELINE_WORKERS) return name as WorkerName;
  throw new Error(
    `worker must be one of ${Object.keys(PIPELINE_WORKERS).join(', ')} (given ${name ?? 'nothing'})`,
  );
}

async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

async function mappingOf(lambda: LambdaClient, functionName: string) {
  const { EventSourceMappings = [] } = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: functionName }),
  );
  return EventSourceMappings[0];
}

/**
 * Reads queue depth, DLQ depth, reserved concurrency and the mapping's maximum concurrency of
 * every pipeline worker.
 *
 * @example
 * for (const s of await snapshotWorkers()) console.log(s.worker, s.visible, s.deadLetters);
 */
export async function snapshotWorkers(
  sqs = new SQSClient({}),
  lambda = new LambdaClient({}),
): Promise<WorkerSnapshot[]> {
  const figures = await mappingFigures();
  return Promise.all(
    (Object.keys(PIPELINE_WORKERS) as WorkerName[]).map(async (worker) => {
      const keys = PIPELINE_WORKERS[worker];
      const functionName = pipelineOutput(keys.fn);
      const [depth, dlq, concurrency, mapping] = await Promise.all([
        queueDepth(sqs, pipelineOutput(keys.queue)),
        queueDepth(sqs, pipelineOutput(keys.dlq)),
        lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })),
        mappingOf(lambda, functionName),
      ]);
      return {
        worker,
        ...depth,
        deadLetters: dlq.visible + dlq.inFlight,
        ...(concurrency.ReservedConcurrentExecutions !== undefined
          ? { reservedConcurrency: concurrency.ReservedConcurrentExecutions }
          : {}),
        ...(mapping?.ScalingConfig?.MaximumConcurrency !== undefined
          ? { maxConcurrency: mapping.ScalingConfig.MaximumConcurrency }
          : {}),
        ...(mapping?.State ? { mappingState: mapping.State } : {}),
        ...liveFigures(figures.get(mapping?.UUID ?? '')),
      };
    }),
  );
}

function liveFigures(stats: EsmMappingStats | undefined): Partial<WorkerSnapshot> {
  if (!stats) return {};
  return {
    concurrency: stats.concurrency,
    peakConcurrency: stats.peakConcurrency,
    throttles: stats.throttles,
  };
}

/** The table `lanes watch` prints: live concurrency and throttles next to the caps. */
export function formatSnapshot(rows: WorkerSnapshot[]): string {
  const header =
    'worker          visible  in-flight  dlq   reserved  max-conc  running  peak  throttles  mapping';
  const cell = (value: number | undefined, width: number) => String(value ?? '-').padStart(width);
  const lines = rows.map(
    (r) =>
      `${r.worker.padEnd(15)} ${cell(r.visible, 7)}  ${cell(r.inFlight, 9)}  ${cell(r.deadLetters, 4)}  ${cell(r.reservedConcurrency, 8)}  ${cell(r.maxConcurrency, 8)}  ${cell(r.concurrency, 7)}  ${cell(r.peakConcurrency, 4)}  ${cell(r.throttles, 9)}  ${r.mappingState ?? '-'}`,
  );
  return [header, ...lines].join('\n');
}

/** `lanes watch [--interval S] [--count N]`: prints the workers' state every S seconds. */
export async function watchCommand(
  argv: string[],
  print = (line: string) => console.log(line),
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      interval: { type: 'string', default: '2' },
      count: { type: 'string', default: '0' },
    },
  });
  const intervalMs = Number(values.interval) * 1000;
  const count = Number(values.count);
  if (!(intervalMs >= 500))
    throw new Error(`--interval must be at least 0.5 seconds (given ${values.interval})`);
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`--count must be 0 (forever) or more (given ${values.count})`);
  for (let round = 1; count === 0 || round <= count; round++) {
    print(`\n${new Date().toISOString()}\n${formatSnapshot(await snapshotWorkers())}`);
    if (count === 0 || round < count) await new Promise((r) => setTimeout(r, intervalMs));
  }
  return 0;
}

/**
 * Checks a run-time scaling request with the same rules the Worker construct applies at synth
 * time: the mapping's maximum concurrency is 2..1000, and reserved concurrency must leave room for
 * it (a smaller reservation throttles polled batches, which then count as receives and reach the
 * DLQ).
 */
export function validateScaling(
  request: { reserved?: number; maxConcurrency?: number },
  current: WorkerSnapshot,
): string[] {
  const problems: string[] = [];
  const { reserved, maxConcurrency } = request;
  if (
    maxConcurrency !== undefined &&
    (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000)
  ) {
    problems.push(
      `--max-concurrency must be an integer between 2 and 1000 (given ${maxConcurrency})`,
    );
  }
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 0)) {
    problems.push(`--reserved must be a non-negative integer (given ${reserved})`);
  }
  const effectiveReserved = reserved ?? current.reservedConcurrency;
  const effectiveMax = maxConcurrency ?? current.maxConcurrency;
  if (
    effectiveReserved !== undefined &&
    effectiveMax !== undefined &&
    effectiveReserved < effectiveMax
  ) {
    problems.push(
      `reserved concurrency ${effectiveReserved} is below the mapping's maximum concurrency ${effectiveMax}: ` +
        `throttled batches would count as receives and healthy messages could reach the DLQ. ` +
        `Set --reserved to at least ${effectiveMax} or lower --max-concurrency.`,
    );
  }
  return problems;
}

/** `lanes scale <worker> [--reserved N] [--max-concurrency N]`: changes a worker's caps at run time. */
export async function scaleCommand(
  argv: string[],
  print = (line: string) => console.log(line),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { reserved: { type: 'string' }, 'max-concurrency': { type: 'string' } },
  });
  const worker = workerNamed(positionals[0]);
  const reserved = values.reserved !== undefined ? Number(values.reserved) : undefined;
  const maxConcurrency =
    values['max-concurrency'] !== undefined ? Number(values['max-concurrency']) : undefined;
  if (reserved === undefined && maxConcurrency === undefined) {
    throw new Error('lanes scale needs --reserved N and/or --max-concurrency N');
  }
  const lambda = new LambdaClient({});
  const current = (await snapshotWorkers(new SQSClient({}), lambda)).find(
    (s) => s.worker === worker,
  );
  if (!current) throw new Error(`No state for worker ${worker}`);
  const problems = validateScaling(
    {
      ...(reserved !== undefined ? { reserved } : {}),
      ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    },
    current,
  );
  if (problems.length > 0) throw new Error(`Cannot scale ${worker}:\n- ${problems.join('\n- ')}`);

  const functionName = pipelineOutput(PIPELINE_WORKERS[worker].fn);
  // Raise the reservation before the mapping's cap, and lower it after, so the pair never breaks the rule.
  const raiseFirst = reserved !== undefined && reserved >= (current.reservedConcurrency ?? 0);
  const putReserved = async () => {
    if (reserved === undefined) return;
    await lambda.send(
      new PutFunctionConcurrencyCommand({
        FunctionName: functionName,
        ReservedConcurrentExecutions: reserved,
      }),
    );
    print(
      `[scale] ${worker}: reserved concurrency ${current.reservedConcurrency ?? '-'} -> ${reserved}`,
    );
  };
  const putMax = async () => {
    if (maxConcurrency === undefined) return;
    const mapping = await mappingOf(lambda, functionName);
    if (!mapping?.UUID) throw new Error(`${functionName} has no event source mapping`);
    await lambda.send(
      new UpdateEventSourceMappingCommand({
        UUID: mapping.UUID,
        ScalingConfig: { MaximumConcurrency: maxConcurrency },
      }),
    );
    print(
      `[scale] ${worker}: mapping maximum concurrency ${current.maxConcurrency ?? '-'} -> ${maxConcurrency}`,
    );
  };
  if (raiseFirst) {
    await putReserved();
    await putMax();
  } else {
    await putMax();
    await putReserved();
  }
  return 0;
}
