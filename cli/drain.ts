import { parseArgs } from 'node:util';
import {
  type EventSourceMappingConfiguration,
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readEsmStats } from '../embedded-localstack/esm-stats.ts';
import { type QueueDepths, queueDepths } from '../shared/dlq/depth.ts';
import { ScalingError } from '../shared/scaling/errors.ts';
import { mappingsOf } from '../shared/scaling/mapping.ts';
import type { Command, Print } from './command.ts';
import { type DeployedWorker, discoverApp, pickByName } from './discovery.ts';
import { connectToDeployedTarget } from './target.ts';
import { integerOption } from './usage.ts';

/** A drain that did not finish in time; the message says what is still in flight. */
export class DrainTimeoutError extends ScalingError {
  override name = 'DrainTimeoutError';
}

/** One of the worker's queues after the drain. */
export interface DrainedQueue {
  readonly queueUrl: string;
  readonly depths: QueueDepths;
}

export interface DrainReport {
  readonly worker: string;
  /** Mappings disabled by this drain (UUIDs); mappings already disabled are not listed. */
  readonly disabled: readonly string[];
  readonly elapsedMs: number;
  /** What waits in the worker's queues once nothing is in flight. */
  readonly queues: readonly DrainedQueue[];
}

export interface DrainOptions {
  readonly lambda?: LambdaClient;
  readonly sqs?: SQSClient;
  /** Give up after this long. @default 900_000 (15 minutes) */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  /** The embedded LocalStack's endpoint, for the mappings' invocations in flight. @default AWS_ENDPOINT_URL */
  readonly endpoint?: string;
  readonly log?: Print;
}

function queueName(arn: string | undefined): string {
  return arn?.split(':').pop() ?? '';
}

/** The worker's mappings and the URL of each one's queue. */
async function sourcesOf(lambda: LambdaClient, sqs: SQSClient, worker: DeployedWorker) {
  const mappings = await mappingsOf(lambda, {
    functionName: worker.functionName,
    ...(worker.alias ? { aliasName: worker.alias } : {}),
  });
  if (mappings.length === 0) {
    throw new ScalingError(
      `${worker.name} (${worker.functionName}) has no event source mapping: nothing polls for it.`,
    );
  }
  const urls = new Map<string, string>();
  for (const mapping of mappings) {
    const name = queueName(mapping.EventSourceArn);
    if (urls.has(name)) continue;
    const own = worker.queueUrl.endsWith(`/${name}`) ? worker.queueUrl : undefined;
    const account = mapping.EventSourceArn?.split(':')[4];
    urls.set(
      name,
      own ??
        (
          await sqs.send(
            new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
          )
        ).QueueUrl ??
        '',
    );
  }
  return { mappings, urls };
}

/** Invocations in flight per mapping, from the embedded LocalStack; undefined elsewhere. */
async function invocationsInFlight(
  endpoint: string | undefined,
): Promise<Map<string, number> | undefined> {
  if (!endpoint) return undefined;
  try {
    const doc = await readEsmStats(endpoint);
    return doc ? new Map(doc.mappings.map((m) => [m.uuid, m.concurrency])) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Drains a worker: disables its event source mappings (no new batches are received), then waits
 * until nothing of the worker is in flight: every mapping `Disabled`, no message of its queues
 * received and not yet deleted (`ApproximateNumberOfMessagesNotVisible` 0, twice in a row: the
 * counts are approximate), and on the embedded LocalStack no invocation running. A message whose
 * processing failed stays invisible until its visibility timeout ends, so the drain waits for it
 * too. Returns what remains in the queues; nothing is deleted or lost, and `resumeWorker`
 * continues where the drain stopped.
 *
 * @example
 * const report = await drainWorker(worker, { log: console.log });
 * console.log(report.queues[0].depths.visible, 'messages wait for lanes resume');
 */
export async function drainWorker(
  worker: DeployedWorker,
  options: DrainOptions = {},
): Promise<DrainReport> {
  const lambda = options.lambda ?? new LambdaClient({});
  const sqs = options.sqs ?? new SQSClient({ useQueueUrlAsEndpoint: false });
  const timeoutMs = options.timeoutMs ?? 900_000;
  const pollMs = options.pollMs ?? 500;
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
  const log = options.log ?? (() => {});
  const started = Date.now();
  const { mappings, urls } = await sourcesOf(lambda, sqs, worker);
  const disabled: string[] = [];
  // A mapping is disabled once it reads Enabled: one still Updating (a lanes scale a moment ago),
  // Creating or Enabling takes no update on AWS, so it settles first and is disabled then.
  const disableEnabled = async (states: readonly EventSourceMappingConfiguration[]) => {
    for (const mapping of states) {
      if (mapping.State !== 'Enabled' || !mapping.UUID) continue;
      await lambda.send(
        new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: false }),
      );
      if (!disabled.includes(mapping.UUID)) disabled.push(mapping.UUID);
      log(
        `[drain] ${worker.name}: disabled mapping ${mapping.UUID} (${queueName(mapping.EventSourceArn)})`,
      );
    }
  };
  let quietReads = 0;
  let lastReport = 0;
  for (;;) {
    const states = await Promise.all(
      mappings.map((m) => lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))),
    );
    // Disabled now, they still count as stopping this round: the next read sees them settle.
    await disableEnabled(states);
    const depths = await Promise.all([...urls.values()].map((url) => queueDepths(url, sqs)));
    const running = await invocationsInFlight(endpoint);
    const invocations = running
      ? states.reduce((sum, m) => sum + (running.get(m.UUID ?? '') ?? 0), 0)
      : 0;
    const notVisible = depths.reduce((sum, d) => sum + d.inFlight, 0);
    const stopping = states.filter((m) => m.State !== 'Disabled');
    const quiet = stopping.length === 0 && invocations === 0 && notVisible === 0;
    quietReads = quiet ? quietReads + 1 : 0;
    if (quietReads >= 2) {
      return {
        worker: worker.name,
        disabled,
        elapsedMs: Date.now() - started,
        queues: [...urls.values()].map((queueUrl, i) => ({
          queueUrl,
          depths: depths[i] as QueueDepths,
        })),
      };
    }
    const state = describeWait(stopping, invocations, running !== undefined, notVisible);
    if (Date.now() - started > timeoutMs) {
      throw new DrainTimeoutError(
        `${worker.name} is not drained after ${Math.round(timeoutMs / 1000)} s: ${state}. The mappings stay disabled (lanes resume ${worker.name} enables them); failed messages come back after their visibility timeout, so wait longer with --timeout.`,
      );
    }
    if (Date.now() - lastReport >= 5_000) {
      lastReport = Date.now();
      log(`[drain] ${worker.name}: waiting, ${state}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function describeWait(
  stopping: readonly EventSourceMappingConfiguration[],
  invocations: number,
  counted: boolean,
  notVisible: number,
): string {
  const parts: string[] = [];
  if (stopping.length > 0)
    parts.push(`${stopping.length} mapping(s) ${stopping.map((m) => m.State).join(', ')}`);
  if (counted) parts.push(`${invocations} invocation(s) running`);
  parts.push(`${notVisible} message(s) in flight`);
  return parts.join(', ');
}

/**
 * Enables a worker's disabled mappings again and waits until they are `Enabled`.
 *
 * @example
 * await resumeWorker(worker);
 */
export async function resumeWorker(
  worker: DeployedWorker,
  options: Pick<DrainOptions, 'lambda' | 'sqs' | 'timeoutMs' | 'log'> = {},
): Promise<{ readonly enabled: readonly string[] }> {
  const lambda = options.lambda ?? new LambdaClient({});
  const sqs = options.sqs ?? new SQSClient({ useQueueUrlAsEndpoint: false });
  const log = options.log ?? (() => {});
  const { mappings } = await sourcesOf(lambda, sqs, worker);
  const enabled: string[] = [];
  for (const mapping of mappings) {
    if (mapping.State === 'Enabled' || mapping.State === 'Enabling') continue;
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: true }));
    enabled.push(mapping.UUID ?? '');
  }
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (const uuid of enabled) {
    for (;;) {
      const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
      if (State === 'Enabled') break;
      if (Date.now() > deadline) {
        throw new ScalingError(
          `Mapping ${uuid} of ${worker.name} is ${State}, not Enabled, after enabling it; check it with lanes watch.`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    log(`[resume] ${worker.name}: enabled mapping ${uuid}`);
  }
  return { enabled };
}

function formatDepths(depths: QueueDepths): string {
  return `${depths.visible} waiting, ${depths.delayed} delayed, ${depths.inFlight} in flight`;
}

export const drainCommand: Command = {
  name: 'drain',
  summary: "stop a worker's polling and wait until nothing of it is in flight",
  usage: `lanes drain <worker> [--timeout SECONDS] [--stack NAME]

  Disables the worker's event source mappings, waits until no batch is in flight (every mapping
  Disabled, no message received and not deleted, no invocation running), and reports what
  remains in its queues. Nothing is deleted: lanes resume <worker> continues where it stopped.
  --timeout S   give up after S seconds (default 900); the mappings stay disabled`,
  async run(args, print) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        timeout: { type: 'string', default: '900' },
        stack: { type: 'string', multiple: true },
      },
    });
    const timeoutSeconds = integerOption('timeout', values.timeout, { min: 1 }) ?? 900;
    await connectToDeployedTarget();
    const { workers } = await discoverApp({ stacks: values.stack });
    const worker = pickByName('worker', workers, positionals[0]);
    const report = await drainWorker(worker, { timeoutMs: timeoutSeconds * 1000, log: print });
    print(
      `[drain] ${worker.name}: drained in ${(report.elapsedMs / 1000).toFixed(1)} s, nothing in flight`,
    );
    for (const queue of report.queues)
      print(`  ${queue.queueUrl.split('/').pop()}: ${formatDepths(queue.depths)}`);
    print(`  lanes resume ${worker.name} enables polling again`);
    return 0;
  },
};

export const resumeCommand: Command = {
  name: 'resume',
  summary: "enable a drained worker's polling again",
  usage: `lanes resume <worker> [--stack NAME]

  Enables the worker's disabled event source mappings and waits until they are Enabled.`,
  async run(args, print) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { stack: { type: 'string', multiple: true } },
    });
    await connectToDeployedTarget();
    const { workers } = await discoverApp({ stacks: values.stack });
    const worker = pickByName('worker', workers, positionals[0]);
    const { enabled } = await resumeWorker(worker, { log: print });
    print(
      enabled.length > 0
        ? `[resume] ${worker.name}: polling again (${enabled.length} mapping(s))`
        : `[resume] ${worker.name}: every mapping was already enabled`,
    );
    return 0;
  },
};
