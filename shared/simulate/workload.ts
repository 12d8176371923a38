import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type ArrivalLog, parseArrivalLog } from './arrivals.ts';
import { WorkloadError } from './errors.ts';
import { MODEL_DEFAULTS } from './limits.ts';

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const positiveInt = z.number().int().positive();

const durationSchema = z.union([
  nonNegative,
  z.strictObject({ distribution: z.literal('fixed'), ms: nonNegative }),
  z
    .strictObject({ distribution: z.literal('uniform'), minMs: nonNegative, maxMs: nonNegative })
    .refine((d) => d.maxMs >= d.minMs, {
      message: 'maxMs must be at least minMs',
      path: ['maxMs'],
    }),
  z
    .strictObject({ distribution: z.literal('lognormal'), p50Ms: positive, p99Ms: positive })
    .refine((d) => d.p99Ms > d.p50Ms, {
      message: 'p99Ms must be greater than p50Ms',
      path: ['p99Ms'],
    }),
]);

const rateSchema = z.discriminatedUnion('shape', [
  z.strictObject({ shape: z.literal('constant'), perSecond: nonNegative }),
  z.strictObject({
    shape: z.literal('ramp'),
    fromPerSecond: nonNegative,
    toPerSecond: nonNegative,
    overSeconds: positive,
  }),
  z.strictObject({
    shape: z.literal('spike'),
    basePerSecond: nonNegative.default(0),
    messages: positiveInt,
    atSeconds: nonNegative,
    forSeconds: positive.default(1),
  }),
  z.strictObject({
    shape: z.literal('diurnal'),
    meanPerSecond: nonNegative,
    amplitude: z.number().min(0).max(1),
    periodSeconds: positive.default(86_400),
    peakAtSeconds: nonNegative.default(0),
  }),
  z.strictObject({
    shape: z.literal('replay'),
    /** CSV (`timeMs` or `time`, optional `key`) or JSON lines; relative to the workload file. */
    file: z.string().min(1),
    /** Replay faster (2 = twice as fast). */
    speed: positive.default(1),
  }),
]);

const keysSchema = z.discriminatedUnion('distribution', [
  z.strictObject({ distribution: z.literal('uniform'), count: positiveInt }),
  z.strictObject({
    distribution: z.literal('zipf'),
    count: positiveInt,
    exponent: positive.default(1),
  }),
  z.strictObject({
    distribution: z.literal('hot'),
    count: positiveInt,
    hotShare: z.number().min(0).max(1),
  }),
]);

const producerSchema = z.strictObject({
  name: z.string().min(1),
  /** Workers whose queues get every message (the ingress fans out); default: all workers. */
  workers: z.array(z.string().min(1)).min(1).optional(),
  /** `direct`: FIFO group = partition key; `eventbridge`: FIFO group = the key's lane. */
  via: z.enum(['direct', 'eventbridge']).default('direct'),
  rate: rateSchema,
  keys: keysSchema.default({ distribution: 'uniform', count: 1000 }),
  process: z.enum(['poisson', 'even']).default('poisson'),
  startSeconds: nonNegative.default(0),
  /** @default durationSeconds */
  stopSeconds: positive.optional(),
});

const whatIfSchema = z.strictObject({
  batchSize: positiveInt.optional(),
  maximumBatchingWindowSeconds: z.number().min(0).max(300).optional(),
  maxConcurrency: z.number().int().min(2).max(1000).nullable().optional(),
  reservedConcurrency: z.number().int().min(0).nullable().optional(),
  provisionedPollers: z
    .strictObject({
      minimum: z.number().int().min(2).max(200),
      maximum: z.number().int().min(2).max(2000),
    })
    .nullable()
    .optional(),
  visibilityTimeoutSeconds: z.number().int().min(0).max(43_200).optional(),
  maxReceiveCount: z.number().int().min(1).max(1000).optional(),
  timeoutSeconds: z.number().int().min(1).max(900).optional(),
  reportBatchItemFailures: z.boolean().optional(),
});

const workerSchema = z.strictObject({
  /** Time one record takes in the handler. */
  recordMs: durationSchema,
  /** Time an invocation takes besides its records (runtime, middleware, logging). */
  invocationMs: durationSchema.default(0),
  /** Extra time of a cold start. */
  coldStartMs: durationSchema.default(MODEL_DEFAULTS.coldStartMs),
  /** Fraction of records whose handler throws. */
  errorRate: z.number().min(0).max(1).default(0),
  /**
   * `groups`: a message group's records one after another, the groups of a batch at once (the
   * runtime's `parallelFifoGroups`).
   * @default - sequential on FIFO queues, parallel on standard queues (the lanes runtime)
   */
  records: z.enum(['parallel', 'sequential', 'groups']).optional(),
  /** The lanes per-key policy (`keyConcurrency` of the worker runtime). */
  keyPolicy: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('skip') }),
      z.strictObject({ kind: z.literal('queue') }),
      z.strictObject({ kind: z.literal('limit'), max: positiveInt }),
    ])
    .optional(),
  /** DynamoDB write units each record spends on its key's item. */
  writesPerRecord: nonNegative.default(0),
  /** Table of those writes: logical id or construct path; default the one the function uses. */
  table: z.string().min(1).optional(),
  /** Partitions of that table (what-if); default from its billing mode. */
  partitions: positiveInt.optional(),
  /** Standard queue whose messages carry the key as MessageGroupId (SQS fair queues). */
  fairQueue: z.boolean().default(false),
  /** Deliberate changes to the deployed settings, reported as such. */
  whatIf: whatIfSchema.optional(),
});

const modelSchema = z.strictObject({
  tickMs: positive.default(MODEL_DEFAULTS.tickMs),
  resolutionMs: nonNegative.default(MODEL_DEFAULTS.resolutionMs),
  relativeResolution: z.number().min(0).max(0.5).default(MODEL_DEFAULTS.relativeResolution),
  pollOverheadMs: nonNegative.default(MODEL_DEFAULTS.pollOverheadMs),
  wakeLatencyMs: nonNegative.default(MODEL_DEFAULTS.wakeLatencyMs),
  idleEnvironmentSeconds: positive.default(MODEL_DEFAULTS.idleEnvironmentSeconds),
  throttleRetryMs: positive.default(MODEL_DEFAULTS.throttleRetryMs),
  throttleRetryMaxMs: positive.default(MODEL_DEFAULTS.throttleRetryMaxMs),
  throttleCooldownSeconds: nonNegative.default(MODEL_DEFAULTS.throttleCooldownSeconds),
  keyLeaseSeconds: positive.default(MODEL_DEFAULTS.keyLeaseSeconds),
  /** Model every message as its own event (the baseline of the benchmark). */
  perEvent: z.boolean().default(false),
});

/** The workload file's schema. */
export const workloadSchema = z.strictObject({
  /** Stacks whose synthesized templates describe the app (CLI --stack overrides). */
  stacks: z.array(z.string().min(1)).min(1).optional(),
  /** How long producers send, unless a producer says otherwise. */
  durationSeconds: positive,
  /** Simulated time allowed after that for the queues to drain. */
  drainLimitSeconds: nonNegative.default(3600),
  seed: z.number().int().default(1),
  /** Time-series resolution; default: about 600 points. */
  sampleSeconds: positive.optional(),
  account: z
    .strictObject({
      concurrency: positiveInt.default(1000),
      region: z.string().min(1).default('us-east-1'),
      /** FIFO high-throughput calls per second per action, for Regions not in docs/aws-limits.md. */
      fifoCallsPerSecond: positiveInt.optional(),
    })
    .default({ concurrency: 1000, region: 'us-east-1' }),
  producers: z.array(producerSchema).min(1),
  workers: z.record(z.string(), workerSchema).default({}),
  model: modelSchema.default(modelSchema.parse({})),
});

export type Workload = z.output<typeof workloadSchema>;
export type WorkloadInput = z.input<typeof workloadSchema>;
export type ProducerWorkload = Workload['producers'][number];
export type WorkerWorkload = z.output<typeof workerSchema>;
export type WhatIf = z.output<typeof whatIfSchema>;

/** A workload with its arrival logs read. */
export interface LoadedWorkload {
  readonly workload: Workload;
  /** Arrival logs of `replay` producers, by producer index. */
  readonly logs: ReadonlyMap<number, ArrivalLog>;
  readonly source: string;
}

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
    )
    .join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Checks a workload object against the schema; every problem names its field and the value.
 *
 * @example
 * parseWorkload({ durationSeconds: 60, producers: [{ name: 'p', rate: { shape: 'constant', perSecond: 10 } }] }, 'inline');
 */
export function parseWorkload(input: unknown, source: string): Workload {
  const result = workloadSchema.safeParse(input);
  if (result.success) {
    const workload = result.data;
    const problems: string[] = [];
    workload.producers.forEach((p, i) => {
      if (p.stopSeconds !== undefined && p.stopSeconds <= p.startSeconds)
        problems.push(
          `producers[${i}].stopSeconds: must be after startSeconds ${p.startSeconds} (given ${p.stopSeconds})`,
        );
    });
    for (const [name, w] of Object.entries(workload.workers)) {
      const pollers = w.whatIf?.provisionedPollers;
      if (pollers && pollers.maximum < pollers.minimum)
        problems.push(
          `workers.${name}.whatIf.provisionedPollers.maximum: must be at least minimum ${pollers.minimum} (given ${pollers.maximum})`,
        );
      if (pollers && w.whatIf?.maxConcurrency)
        problems.push(
          `workers.${name}.whatIf: maxConcurrency cannot be combined with provisionedPollers (AWS); set maxConcurrency: null`,
        );
    }
    if (problems.length > 0) throw new WorkloadError(source, problems);
    return workload;
  }
  const problems = result.error.issues.map((issue) => {
    const path = pathOf(issue.path);
    const given =
      issue.code === 'unrecognized_keys' ? '' : ` (given ${shown(valueAt(input, issue.path))})`;
    return `${path || '(top level)'}: ${issue.message}${given}`;
  });
  throw new WorkloadError(source, problems, { cause: result.error });
}

/**
 * Reads a workload file (YAML or JSON) and the arrival logs it names.
 *
 * @example
 * const { workload } = loadWorkload('docs/simulate/reference.yaml');
 */
export function loadWorkload(file: string): LoadedWorkload {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WorkloadError(file, [`cannot read the file: ${(error as Error).message}`], {
      cause: error,
    });
  }
  let input: unknown;
  try {
    input = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new WorkloadError(
      file,
      [`not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`],
      {
        cause: error,
      },
    );
  }
  const workload = parseWorkload(input, file);
  const logs = new Map<number, ArrivalLog>();
  workload.producers.forEach((p, i) => {
    if (p.rate.shape !== 'replay') return;
    const logFile = resolve(dirname(file), p.rate.file);
    const fail = (problem: string): never => {
      throw new WorkloadError(file, [`producers[${i}].rate.file: ${problem}`]);
    };
    let logText = '';
    try {
      logText = readFileSync(logFile, 'utf8');
    } catch (error) {
      fail(`cannot read ${logFile}: ${(error as Error).message}`);
    }
    logs.set(i, parseArrivalLog(logText, logFile, fail));
  });
  return { workload, logs, source: file };
}
