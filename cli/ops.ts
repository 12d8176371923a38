import { parseArgs } from 'node:util';
import { GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type EsmMappingStats, readEsmStats } from '../embedded-localstack/esm-stats.ts';
import { queueDepths } from '../shared/dlq/depth.ts';
import { mappingsOf } from '../shared/scaling/mapping.ts';
import type { Command } from './command.ts';
import { type DeployedWorker, discoverApp } from './discovery.ts';
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
  /** Provisioned mode: the mapping's pollers. */
  readonly provisionedPollers?: {
    readonly minimumPollers: number;
    readonly maximumPollers: number;
  };
  readonly mappingUuid?: string;
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

/** The mapping of a worker's own queue (a canary worker's mappings are on its alias). */
export async function mappingOf(
  lambda: LambdaClient,
  worker: Pick<DeployedWorker, 'functionName' | 'queueUrl' | 'alias'>,
) {
  const all = await mappingsOf(lambda, {
    functionName: worker.functionName,
    ...(worker.alias ? { aliasName: worker.alias } : {}),
  });
  // The worker's own queue: its ARN ends with the queue name the URL ends with.
  const queueName = worker.queueUrl.split('/').pop() ?? '';
  return all.find((m) => m.EventSourceArn?.endsWith(`:${queueName}`)) ?? all[0];
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
        mappingOf(lambda, worker),
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
        ...(mapping?.ProvisionedPollerConfig
          ? {
              provisionedPollers: {
                minimumPollers: mapping.ProvisionedPollerConfig.MinimumPollers ?? 2,
                maximumPollers: mapping.ProvisionedPollerConfig.MaximumPollers ?? 200,
              },
            }
          : {}),
        ...(mapping?.UUID ? { mappingUuid: mapping.UUID } : {}),
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
