import { parseArgs } from 'node:util';
import {
  GetFunctionConcurrencyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  PutFunctionConcurrencyCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type EsmMappingStats, readEsmStats } from '../embedded-localstack/esm-stats.ts';
import { queueDepths } from '../shared/dlq/depth.ts';
import type { Command, Print } from './command.ts';
import { type DeployedWorker, discoverApp, pickByName } from './discovery.ts';
import { connectToDeployedTarget } from './target.ts';
import { integerOption, UsageError } from './usage.ts';

/**
 * A point-in-time view of one worker: queue depths, DLQ depth, concurrency settings and, on the
 * embedded LocalStack, the mapping's live figures (invocations in flight, peak, throttles).
 */
export interface WorkerSnapshot {
  readonly worker: string;
  readonly stackName: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly deadLetters: number;
  readonly reservedConcurrency?: number;
  readonly maxConcurrency?: number;
  readonly mappingState?: string;
  /** Invocations of the mapping in flight now (embedded LocalStack only). */
  readonly concurrency?: number;
  /** Most invocations in flight at once since the mapping started or was reset. */
  readonly peakConcurrency?: number;
  /** Throttled invocations since the mapping started or was reset. */
  readonly throttles?: number;
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

function liveFigures(stats: EsmMappingStats | undefined): Partial<WorkerSnapshot> {
  if (!stats) return {};
  return {
    concurrency: stats.concurrency,
    peakConcurrency: stats.peakConcurrency,
    throttles: stats.throttles,
  };
}

async function mappingOf(lambda: LambdaClient, functionName: string, queueUrl: string) {
  const { EventSourceMappings = [] } = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: functionName }),
  );
  // The worker's own queue: its ARN ends with the queue name the URL ends with.
  const queueName = queueUrl.split('/').pop() ?? '';
  return (
    EventSourceMappings.find((m) => m.EventSourceArn?.endsWith(`:${queueName}`)) ??
    EventSourceMappings[0]
  );
}

/**
 * Reads queue depth, DLQ depth, reserved concurrency and the mapping's maximum concurrency of
 * each worker.
 *
 * @example
 * const { workers } = await discoverApp();
 * for (const s of await snapshotWorkers(workers)) console.log(s.worker, s.visible, s.deadLetters);
 */
export async function snapshotWorkers(
  workers: readonly DeployedWorker[],
  sqs = new SQSClient({}),
  lambda = new LambdaClient({}),
): Promise<WorkerSnapshot[]> {
  const figures = await mappingFigures();
  return Promise.all(
    workers.map(async (worker) => {
      const [depth, dlq, concurrency, mapping] = await Promise.all([
        queueDepths(worker.queueUrl, sqs),
        queueDepths(worker.deadLetterQueueUrl, sqs),
        lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: worker.functionName })),
        mappingOf(lambda, worker.functionName, worker.queueUrl),
      ]);
      return {
        worker: worker.name,
        stackName: worker.stackName,
        visible: depth.visible,
        inFlight: depth.inFlight,
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

/** The table `lanes watch` prints: live concurrency and throttles next to the caps. */
export function formatSnapshot(rows: readonly WorkerSnapshot[]): string {
  const width = Math.max(15, ...rows.map((r) => r.worker.length + 1));
  const header = `${'worker'.padEnd(width)} ${'stack'.padEnd(20)} visible  in-flight  dlq   reserved  max-conc  running  peak  throttles  mapping`;
  const cell = (value: number | undefined, size: number) => String(value ?? '-').padStart(size);
  const lines = rows.map(
    (r) =>
      `${r.worker.padEnd(width)} ${r.stackName.padEnd(20)} ${cell(r.visible, 7)}  ${cell(r.inFlight, 9)}  ${cell(r.deadLetters, 4)}  ${cell(r.reservedConcurrency, 8)}  ${cell(r.maxConcurrency, 8)}  ${cell(r.concurrency, 7)}  ${cell(r.peakConcurrency, 4)}  ${cell(r.throttles, 9)}  ${r.mappingState ?? '-'}`,
  );
  return [header, ...lines].join('\n');
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'queue, in-flight and DLQ depth and the concurrency caps of every worker',
  usage: `lanes watch [--stack NAME]... [--interval SECONDS] [--count N]

  Prints the state of every worker the lanes constructs describe in the deployed stacks.
  --stack NAME      only this stack (repeatable; default: every stack on the target)
  --interval S      seconds between rounds (default 2, at least 0.5)
  --count N         rounds to print (default 0: until interrupted)`,
  async run(args, print) {
    const { values } = parseArgs({
      args,
      options: {
        stack: { type: 'string', multiple: true },
        interval: { type: 'string', default: '2' },
        count: { type: 'string', default: '0' },
      },
    });
    const intervalMs = Number(values.interval) * 1000;
    if (!(intervalMs >= 500)) {
      throw new UsageError(`--interval must be at least 0.5 seconds (given ${values.interval})`);
    }
    const count = integerOption('count', values.count) ?? 0;
    await connectToDeployedTarget();
    const { workers } = await discoverApp({ stacks: values.stack });
    if (workers.length === 0) {
      print('No lanes workers found on the target: deploy an app that uses the Worker construct.');
      return 1;
    }
    for (let round = 1; count === 0 || round <= count; round++) {
      print(`\n${new Date().toISOString()}\n${formatSnapshot(await snapshotWorkers(workers))}`);
      if (count === 0 || round < count) await new Promise((r) => setTimeout(r, intervalMs));
    }
    return 0;
  },
};

/**
 * Checks a run-time scaling request with the same rules the Worker construct applies at synth
 * time: the mapping's maximum concurrency is 2..1000, and reserved concurrency must leave room for
 * it (a smaller reservation throttles polled batches, which then count as receives and reach the
 * DLQ).
 */
export function validateScaling(
  request: { reserved?: number; maxConcurrency?: number },
  current: Pick<WorkerSnapshot, 'reservedConcurrency' | 'maxConcurrency'>,
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

export const scaleCommand: Command = {
  name: 'scale',
  summary: "change a worker's reserved concurrency and mapping maximum concurrency at run time",
  usage: `lanes scale <worker> [--reserved N] [--max-concurrency N] [--stack NAME]

  <worker>             a worker's name (lanes watch lists them; <stack>/<name> when ambiguous)
  --reserved N         the function's reserved concurrency
  --max-concurrency N  the event source mapping's maximum concurrency (2..1000)
  Refuses a reservation below the maximum concurrency: throttled batches count as receives.`,
  async run(args, print) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        reserved: { type: 'string' },
        'max-concurrency': { type: 'string' },
        stack: { type: 'string', multiple: true },
      },
    });
    const reserved = integerOption('reserved', values.reserved);
    const maxConcurrency = integerOption('max-concurrency', values['max-concurrency'], {
      min: 2,
      max: 1000,
    });
    if (reserved === undefined && maxConcurrency === undefined) {
      throw new UsageError('lanes scale needs --reserved N and/or --max-concurrency N');
    }
    await connectToDeployedTarget();
    const { workers } = await discoverApp({ stacks: values.stack });
    const worker = pickByName('worker', workers, positionals[0]);
    const lambda = new LambdaClient({});
    const [current] = await snapshotWorkers([worker], new SQSClient({}), lambda);
    if (!current) throw new UsageError(`No state for worker ${worker.name}`);
    const problems = validateScaling(
      {
        ...(reserved !== undefined ? { reserved } : {}),
        ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
      },
      current,
    );
    if (problems.length > 0) {
      throw new UsageError(`Cannot scale ${worker.name}:\n- ${problems.join('\n- ')}`);
    }
    await applyScaling(worker, current, { reserved, maxConcurrency }, lambda, print);
    return 0;
  },
};

async function applyScaling(
  worker: DeployedWorker,
  current: WorkerSnapshot,
  request: { reserved: number | undefined; maxConcurrency: number | undefined },
  lambda: LambdaClient,
  print: Print,
): Promise<void> {
  const { reserved, maxConcurrency } = request;
  // Raise the reservation before the mapping's cap, and lower it after, so the pair never breaks the rule.
  const raiseFirst = reserved !== undefined && reserved >= (current.reservedConcurrency ?? 0);
  const putReserved = async () => {
    if (reserved === undefined) return;
    await lambda.send(
      new PutFunctionConcurrencyCommand({
        FunctionName: worker.functionName,
        ReservedConcurrentExecutions: reserved,
      }),
    );
    print(
      `[scale] ${worker.name}: reserved concurrency ${current.reservedConcurrency ?? '-'} -> ${reserved}`,
    );
  };
  const putMax = async () => {
    if (maxConcurrency === undefined) return;
    const mapping = await mappingOf(lambda, worker.functionName, worker.queueUrl);
    if (!mapping?.UUID) {
      throw new UsageError(`${worker.functionName} has no event source mapping to scale`);
    }
    await lambda.send(
      new UpdateEventSourceMappingCommand({
        UUID: mapping.UUID,
        ScalingConfig: { MaximumConcurrency: maxConcurrency },
      }),
    );
    print(
      `[scale] ${worker.name}: mapping maximum concurrency ${current.maxConcurrency ?? '-'} -> ${maxConcurrency}`,
    );
  };
  if (raiseFirst) {
    await putReserved();
    await putMax();
  } else {
    await putMax();
    await putReserved();
  }
}
