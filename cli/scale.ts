import { parseArgs } from 'node:util';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { applyConcurrency } from '../shared/scaling/mapping.ts';
import type { Command } from './command.ts';
import { discoverApp, pickByName } from './discovery.ts';
import { snapshotWorkers, type WorkerSnapshot } from './ops.ts';
import { connectToDeployedTarget } from './target.ts';
import { integerOption, UsageError } from './usage.ts';

/** Limits of a scaling request (docs/aws-limits.md, Lambda table). */
export const SCALING_LIMITS = {
  maxConcurrency: { min: 2, max: 1_000 },
  minimumPollers: { min: 2, max: 200 },
  maximumPollers: { min: 2, max: 2_000 },
  invokesPerPoller: 10,
} as const;

/** A run-time scaling request of `lanes scale`. */
export interface ScalingRequest {
  readonly reserved?: number;
  readonly maxConcurrency?: number;
  readonly minPollers?: number;
  readonly maxPollers?: number;
}

function inRange(value: number, range: { min: number; max: number }): boolean {
  return Number.isInteger(value) && value >= range.min && value <= range.max;
}

/**
 * Checks a run-time scaling request with the rules AWS and the Worker construct apply: the
 * mapping's maximum concurrency is 2..1000; provisioned pollers are MinimumPollers 2..200 and
 * MaximumPollers 2..2000 with minimum <= maximum; a mapping takes a maximum concurrency or
 * provisioned pollers, never both; and reserved concurrency must leave room for what the mapping
 * starts (its maximum, or its minimum pollers x 10), or throttled batches count as receives and
 * healthy messages reach the DLQ.
 *
 * @example
 * validateScaling({ reserved: 4 }, { maxConcurrency: 10 }); // ['reserved concurrency 4 is below ...']
 */
export function validateScaling(
  request: ScalingRequest,
  current: Pick<WorkerSnapshot, 'reservedConcurrency' | 'maxConcurrency' | 'provisionedPollers'>,
): string[] {
  const problems: string[] = [];
  const { reserved, maxConcurrency, minPollers, maxPollers } = request;
  const wantsPollers = minPollers !== undefined || maxPollers !== undefined;
  if (maxConcurrency !== undefined && !inRange(maxConcurrency, SCALING_LIMITS.maxConcurrency)) {
    problems.push(
      `--max-concurrency must be an integer between 2 and 1000 (given ${maxConcurrency})`,
    );
  }
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 0)) {
    problems.push(`--reserved must be a non-negative integer (given ${reserved})`);
  }
  if (maxConcurrency !== undefined && wantsPollers) {
    problems.push(
      'AWS refuses ScalingConfig.MaximumConcurrency together with ProvisionedPollerConfig on one mapping: give --max-concurrency or --min-pollers/--max-pollers, not both',
    );
  }
  if (maxConcurrency !== undefined && !wantsPollers && current.provisionedPollers) {
    problems.push(
      `the mapping is in provisioned mode (MinimumPollers ${current.provisionedPollers.minimumPollers}, MaximumPollers ${current.provisionedPollers.maximumPollers}), which cannot have a maximum concurrency; ` +
        'lanes scale does not leave provisioned mode (UpdateEventSourceMapping documents no way to remove ProvisionedPollerConfig): scale with --min-pollers/--max-pollers, or give the Worker maxConcurrency instead of provisionedPollers and deploy',
    );
  }
  const effectiveMin = minPollers ?? current.provisionedPollers?.minimumPollers ?? 2;
  const effectiveMaxPollers = maxPollers ?? current.provisionedPollers?.maximumPollers ?? 200;
  if (minPollers !== undefined && !inRange(minPollers, SCALING_LIMITS.minimumPollers)) {
    problems.push(
      `--min-pollers must be an integer between 2 and 200 for SQS (given ${minPollers})`,
    );
  }
  if (maxPollers !== undefined && !inRange(maxPollers, SCALING_LIMITS.maximumPollers)) {
    problems.push(
      `--max-pollers must be an integer between 2 and 2000 for SQS (given ${maxPollers})`,
    );
  }
  if (wantsPollers && effectiveMin > effectiveMaxPollers) {
    problems.push(
      `MinimumPollers ${effectiveMin} must not exceed MaximumPollers ${effectiveMaxPollers}: raise --max-pollers or lower --min-pollers`,
    );
  }
  const effectiveReserved = reserved ?? current.reservedConcurrency;
  const provisionedAfter =
    wantsPollers || (current.provisionedPollers !== undefined && maxConcurrency === undefined);
  const starts = provisionedAfter
    ? effectiveMin * SCALING_LIMITS.invokesPerPoller
    : (maxConcurrency ?? current.maxConcurrency);
  if (effectiveReserved !== undefined && starts !== undefined && effectiveReserved < starts) {
    problems.push(
      provisionedAfter
        ? `reserved concurrency ${effectiveReserved} is below what the minimum pollers start (${effectiveMin} x ${SCALING_LIMITS.invokesPerPoller} = ${starts}): ` +
            `throttled batches would count as receives and healthy messages could reach the DLQ. Set --reserved to at least ${starts} or lower --min-pollers.`
        : `reserved concurrency ${effectiveReserved} is below the mapping's maximum concurrency ${starts}: ` +
            `throttled batches would count as receives and healthy messages could reach the DLQ. ` +
            `Set --reserved to at least ${starts} or lower --max-concurrency.`,
    );
  }
  return problems;
}

export const scaleCommand: Command = {
  name: 'scale',
  summary:
    "change a worker's reserved concurrency and its mapping's maximum concurrency or provisioned pollers",
  usage: `lanes scale <worker> [--reserved N] [--max-concurrency N | --min-pollers N --max-pollers N] [--stack NAME]

  <worker>             a worker's name (lanes watch lists them; <stack>/<name> when ambiguous)
  --reserved N         the function's reserved concurrency
  --max-concurrency N  the event source mapping's maximum concurrency (2..1000)
  --min-pollers N      provisioned mode: pollers kept ready (2..200; each drives up to 10 invokes)
  --max-pollers N      provisioned mode: most pollers (2..2000)
  Refuses what AWS refuses (a maximum concurrency together with pollers, values out of range) and
  a reservation below what the mapping starts: throttled batches count as receives. An
  autoscaling policy of the worker changes the maximum concurrency again at its next period.`,
  async run(args, print) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        reserved: { type: 'string' },
        'max-concurrency': { type: 'string' },
        'min-pollers': { type: 'string' },
        'max-pollers': { type: 'string' },
        stack: { type: 'string', multiple: true },
      },
    });
    const request: ScalingRequest = {
      ...optional('reserved', integerOption('reserved', values.reserved)),
      ...optional(
        'maxConcurrency',
        integerOption('max-concurrency', values['max-concurrency'], { min: 2, max: 1000 }),
      ),
      ...optional(
        'minPollers',
        integerOption('min-pollers', values['min-pollers'], { min: 2, max: 200 }),
      ),
      ...optional(
        'maxPollers',
        integerOption('max-pollers', values['max-pollers'], { min: 2, max: 2000 }),
      ),
    };
    if (Object.keys(request).length === 0) {
      throw new UsageError(
        'lanes scale needs --reserved N and/or --max-concurrency N (or --min-pollers/--max-pollers N)',
      );
    }
    const offline = validateScaling(request, {});
    if (offline.some((problem) => problem.startsWith('AWS refuses'))) {
      throw new UsageError(`Cannot scale:\n- ${offline.join('\n- ')}`);
    }
    await connectToDeployedTarget();
    const { workers } = await discoverApp({ stacks: values.stack });
    const worker = pickByName('worker', workers, positionals[0]);
    const lambda = new LambdaClient({});
    const [current] = await snapshotWorkers([worker], new SQSClient({}), lambda);
    if (!current?.mappingUuid) {
      throw new UsageError(`${worker.name} has no event source mapping to scale`);
    }
    const problems = validateScaling(request, current);
    if (problems.length > 0) {
      throw new UsageError(`Cannot scale ${worker.name}:\n- ${problems.join('\n- ')}`);
    }
    const pollers =
      request.minPollers !== undefined || request.maxPollers !== undefined
        ? {
            minimumPollers: request.minPollers ?? current.provisionedPollers?.minimumPollers ?? 2,
            maximumPollers: request.maxPollers ?? current.provisionedPollers?.maximumPollers ?? 200,
          }
        : undefined;
    const steps = await applyConcurrency(
      lambda,
      {
        functionName: worker.functionName,
        mappingUuid: current.mappingUuid,
        ...(worker.alias ? { aliasName: worker.alias } : {}),
      },
      current,
      {
        ...optional('reservedConcurrency', request.reserved),
        ...optional('maxConcurrency', request.maxConcurrency),
        ...optional('provisionedPollers', pollers),
      },
    );
    for (const step of steps) print(`[scale] ${worker.name}: ${step}`);
    if (steps.length === 0) print(`[scale] ${worker.name}: already at the requested settings`);
    return 0;
  },
};

function optional<T>(key: string, value: T | undefined): Record<string, T> {
  return value === undefined ? {} : { [key]: value };
}
