import { ArrivalCounter, type ArrivalLog, expectedMessages, type RateSpec } from './arrivals.ts';
import { type Cohort, cohort } from './cohort.ts';
import { durationOf } from './durations.ts';
import { PartitionedTable } from './dynamodb.ts';
import { SimulationError, WorkloadError } from './errors.ts';
import { KeyPolicyModel } from './key-policy.ts';
import { HashedGroups, KeyDistribution, type KeyGroups, KeyNames } from './keys.ts';
import { ConcurrencyPool, FunctionModel } from './lambda.ts';
import { AWS } from './limits.ts';
import { Random } from './random.ts';
import { FairQueue, FifoQueue, type QueueModel, type Resolution, StandardQueue } from './sqs.ts';
import { EventQueue, type TimedEvent } from './structures.ts';
import type { PipelineModel, TableSettings, WorkerSettings } from './template.ts';
import { type EffectiveSettings, type KeySource, WorkerModel } from './worker.ts';
import type { ProducerWorkload, WorkerWorkload, Workload } from './workload.ts';

/** How a producer's messages are grouped on one target queue. */
type Grouping = 'none' | 'key' | 'lane';

interface Target {
  readonly worker: WorkerModel;
  readonly grouping: Grouping;
}

interface ProducerRun {
  readonly index: number;
  readonly spec: ProducerWorkload;
  readonly keys: KeyDistribution;
  readonly targets: readonly Target[];
  readonly counter: ArrivalCounter;
  readonly startMs: number;
  readonly stopMs: number;
  readonly log: ArrivalLog | undefined;
  readonly logKeys: Int32Array | undefined;
  logNext: number;
  /** Messages this producer sent (EventBridge PutEvents entries when via eventbridge). */
  sentMessages: number;
}

/** One row of the time series: one worker at one sample time. */
export interface SeriesRow {
  /** Seconds of simulated time. */
  readonly t: number;
  readonly worker: string;
  /** Messages sent to the queue per second over the last interval. */
  readonly arrivalsPerSecond: number;
  /** Messages processed and deleted per second over the last interval. */
  readonly throughputPerSecond: number;
  /** Visible and delayed messages. */
  readonly backlog: number;
  readonly inFlight: number;
  /** Invocations running for this worker, averaged over the interval. */
  readonly concurrency: number;
  /** Most invocations running at once so far. */
  readonly peakConcurrency: number;
  /** Concurrency the event source mapping aims at. */
  readonly mappingConcurrency: number;
  /** Age of the oldest message not yet deleted (ApproximateAgeOfOldestMessage). */
  readonly oldestAgeSeconds: number;
  readonly throttles: number;
  readonly recordFailures: number;
  /** Messages in the dead-letter queue so far. */
  readonly deadLetters: number;
  readonly coldStarts: number;
}

/** The pieces of a built simulation, for tests that look inside. */
export interface SimulationParts {
  readonly workers: readonly WorkerModel[];
  readonly producers: readonly {
    readonly name: string;
    readonly via: string;
    readonly sentMessages: number;
  }[];
  readonly functions: ReadonlyMap<string, FunctionModel>;
  readonly tables: ReadonlyMap<string, PartitionedTable>;
  readonly whatIf: ReadonlyMap<string, readonly string[]>;
  readonly effective: ReadonlyMap<string, EffectiveSettings>;
}

/** What a run produced. */
export interface SimulationRun {
  readonly parts: SimulationParts;
  readonly series: readonly SeriesRow[];
  readonly simulatedMs: number;
  /** Simulated time when the last producer stopped. */
  readonly producersStopMs: number;
  readonly drained: boolean;
  readonly events: number;
  readonly wallMs: number;
  readonly sampleMs: number;
  readonly perEvent: boolean;
}

/** Options of {@link runSimulation}. */
export interface RunOptions {
  /** Arrival logs of `replay` producers, by producer index. */
  readonly logs?: ReadonlyMap<number, ArrivalLog>;
  /** Called after each sample (for a progress line). */
  readonly onSample?: (simulatedMs: number) => void;
  /** Called at every event (tests that check an invariant at each step). */
  readonly onEvent?: (now: number, parts: SimulationParts) => void;
}

/**
 * Runs a workload against an app on the virtual clock. No AWS call is made.
 *
 * @example
 * const app = readPipelineModel(['Lanes-Pipeline'], 'cdk.out');
 * const { workload, logs } = loadWorkload('docs/simulate/reference.yaml');
 * const run = runSimulation(app, workload, { logs });
 */
export function runSimulation(
  app: PipelineModel,
  workload: Workload,
  options: RunOptions = {},
): SimulationRun {
  const started = performance.now();
  const events = new EventQueue();
  let eventCount = 0;
  const scheduler = {
    schedule(at: number, fire: (now: number) => void): void {
      events.push({ at, fire } satisfies TimedEvent);
    },
  };
  const random = new Random(workload.seed);
  const model = workload.model;
  const perEvent = model.perEvent;
  const resolution: Resolution = perEvent
    ? { ms: 0, relative: 0 }
    : { ms: model.resolutionMs, relative: model.relativeResolution };

  // Workers and their targets -----------------------------------------------------------------
  const byName = new Map(app.workers.map((w) => [w.name, w]));
  const known = [...byName.keys()];
  const problems: string[] = [];
  for (const name of Object.keys(workload.workers)) {
    if (!byName.has(name))
      problems.push(
        `workers.${name}: no such worker in ${app.stacks.join(', ')} (workers: ${known.join(', ') || 'none'})`,
      );
  }
  const targeted = new Set<string>();
  workload.producers.forEach((p, i) => {
    for (const name of p.workers ?? known) {
      if (!byName.has(name))
        problems.push(
          `producers[${i}].workers: no worker ${name} in ${app.stacks.join(', ')} (workers: ${known.join(', ') || 'none'})`,
        );
      else targeted.add(name);
    }
    if (p.via === 'eventbridge' && app.laneCount === undefined)
      problems.push(
        `producers[${i}].via: eventbridge needs the ingress's LaneCount output in the template (none found); use direct`,
      );
  });
  for (const name of targeted) {
    if (!workload.workers[name])
      problems.push(
        `workers.${name}: missing; a worker that gets traffic needs at least recordMs (the time one record takes)`,
      );
  }
  if (targeted.size === 0) problems.push('producers: no producer sends to any worker');
  if (problems.length > 0) throw new WorkloadError('workload', problems);

  const keyCount = Math.max(...workload.producers.map((p) => p.keys.count));
  const names = new KeyNames(keyCount);
  const lanes = app.laneCount ? HashedGroups.lanes(names, app.laneCount) : undefined;

  const reservedTotal = new Map<string, number | undefined>();
  const effective = new Map<string, EffectiveSettings>();
  const whatIf = new Map<string, readonly string[]>();
  for (const settings of app.workers) {
    const config = workload.workers[settings.name];
    const resolved = resolveSettings(settings, config);
    effective.set(settings.name, resolved.settings);
    whatIf.set(settings.name, resolved.changes);
    reservedTotal.set(settings.function.logicalId, resolved.reserved);
  }
  let reserved = 0;
  for (const value of reservedTotal.values()) reserved += value ?? 0;
  const pool = new ConcurrencyPool(Math.max(0, workload.account.concurrency - reserved));

  const functions = new Map<string, FunctionModel>();
  const tables = new Map<string, PartitionedTable>();
  const workers: WorkerModel[] = [];
  const producerKeys = workload.producers.map((p) => new KeyDistribution(p.keys));
  for (const settings of app.workers) {
    if (!targeted.has(settings.name)) continue;
    const config = workload.workers[settings.name] as WorkerWorkload;
    const eff = effective.get(settings.name) as EffectiveSettings;
    let fn = functions.get(settings.function.logicalId);
    if (!fn) {
      fn = new FunctionModel(
        {
          name: settings.name,
          timeoutMs: eff.timeoutMs,
          memoryMb: settings.function.memoryMb,
          arm: settings.function.arm,
          reservedConcurrency: reservedTotal.get(settings.function.logicalId),
        },
        pool,
        { idleEnvironmentMs: model.idleEnvironmentSeconds * 1000 },
      );
      functions.set(settings.function.logicalId, fn);
    }
    let worker: WorkerModel | undefined;
    const hooks = {
      onVisible: (now: number) => worker?.onVisible(now),
      onRedrive: (c: Cohort, now: number) => worker?.onRedrive(c, now),
    };
    const queueSettings = {
      visibilityTimeoutMs: eff.visibilityTimeoutMs,
      maxReceiveCount: eff.maxReceiveCount,
      callsPerSecond: eff.fifo ? fifoCallsPerSecond(settings, workload) : undefined,
    };
    if (config.fairQueue && eff.fifo)
      throw new WorkloadError('workload', [
        `workers.${settings.name}.fairQueue: fair queues are standard queues; ${settings.name} consumes a FIFO queue`,
      ]);
    const queue: QueueModel = eff.fifo
      ? new FifoQueue(queueSettings, resolution, scheduler, hooks)
      : config.fairQueue
        ? new FairQueue(queueSettings, resolution, scheduler, hooks)
        : new StandardQueue(queueSettings, resolution, scheduler, hooks);
    const table =
      config.writesPerRecord > 0
        ? tableFor(settings, config, app.tables, tables, names)
        : undefined;
    const policy = config.keyPolicy
      ? new KeyPolicyModel(config.keyPolicy, eff.maxReceiveCount, model.keyLeaseSeconds, random)
      : undefined;
    const keySources: (KeySource | undefined)[] = workload.producers.map((p, i) => ({
      keys: producerKeys[i] as KeyDistribution,
      groups: eff.fifo && p.via === 'eventbridge' ? (lanes as KeyGroups) : undefined,
    }));
    worker = new WorkerModel(
      settings.name,
      eff,
      queue,
      fn,
      {
        recordMs: durationOf(config.recordMs),
        invocationMs: durationOf(config.invocationMs),
        coldStartMs: durationOf(config.coldStartMs),
        errorRate: config.errorRate,
        records: config.records ?? (eff.fifo ? 'sequential' : 'parallel'),
        policy,
        table,
        writesPerRecord: config.writesPerRecord,
        pollOverheadMs: model.pollOverheadMs,
        wakeLatencyMs: model.wakeLatencyMs,
        throttleRetryMs: model.throttleRetryMs,
        throttleRetryMaxMs: model.throttleRetryMaxMs,
        throttleCooldownMs: model.throttleCooldownSeconds * 1000,
      },
      keySources,
      scheduler,
      random,
    );
    workers.push(worker);
  }
  const workerByName = new Map(workers.map((w) => [w.name, w]));

  // Producers -----------------------------------------------------------------------------------
  const producers: ProducerRun[] = workload.producers.map((spec, index) => {
    const log = options.logs?.get(index);
    if (spec.rate.shape === 'replay' && !log)
      throw new WorkloadError('workload', [
        `producers[${index}].rate.file: the arrival log was not loaded (use loadWorkload, or pass logs)`,
      ]);
    const startMs = spec.startSeconds * 1000;
    const speed = spec.rate.shape === 'replay' ? spec.rate.speed : 1;
    const logEnd = log ? startMs + (log.timesMs[log.timesMs.length - 1] ?? 0) / speed + 1 : 0;
    const stopMs = log ? logEnd : (spec.stopSeconds ?? workload.durationSeconds) * 1000;
    return {
      index,
      spec,
      keys: producerKeys[index] as KeyDistribution,
      targets: (spec.workers ?? known)
        .map((name) => workerByName.get(name))
        .filter((w): w is WorkerModel => w !== undefined)
        .map((worker) => ({
          worker,
          grouping: worker.settings.fifo
            ? spec.via === 'eventbridge'
              ? 'lane'
              : 'key'
            : worker.queue instanceof FairQueue
              ? 'key'
              : 'none',
        })),
      counter: new ArrivalCounter(spec.process, random),
      startMs,
      stopMs,
      log,
      logKeys: log
        ? Int32Array.from(log.keys, (k) => (k === undefined ? -1 : names.index(k)))
        : undefined,
      logNext: 0,
      sentMessages: 0,
    };
  });
  const producersStopMs = Math.max(...producers.map((p) => p.stopMs));
  const endMs = producersStopMs + workload.drainLimitSeconds * 1000;
  const tickMs = model.tickMs;
  const keyScratch = { keys: new Int32Array(1024), times: new Float64Array(1024) };

  const arrivalsIn = (p: ProducerRun, from: number, to: number): number => {
    if (p.log) {
      const speed = p.spec.rate.shape === 'replay' ? p.spec.rate.speed : 1;
      let n = 0;
      while (
        p.logNext + n < p.log.timesMs.length &&
        p.startMs + (p.log.timesMs[p.logNext + n] as number) / speed < to
      )
        n++;
      return n;
    }
    const lo = Math.max(from, p.startMs);
    const hi = Math.min(to, p.stopMs);
    if (hi <= lo) return 0;
    return p.counter.count(
      expectedMessages(p.spec.rate as RateSpec, (lo - p.startMs) / 1000, (hi - p.startMs) / 1000),
    );
  };

  /** Send times and keys of the `m` arrivals of a tick, in `keyScratch`. */
  const drawArrivals = (p: ProducerRun, m: number, from: number, to: number, needKeys: boolean) => {
    if (keyScratch.keys.length < m) {
      keyScratch.keys = new Int32Array(m * 2);
      keyScratch.times = new Float64Array(m * 2);
    }
    const { keys, times } = keyScratch;
    if (p.log && p.logKeys) {
      const speed = p.spec.rate.shape === 'replay' ? p.spec.rate.speed : 1;
      for (let j = 0; j < m; j++) {
        times[j] = p.startMs + (p.log.timesMs[p.logNext + j] as number) / speed;
        const key = p.logKeys[p.logNext + j] as number;
        keys[j] = key >= 0 ? key : p.keys.sample(random);
      }
      p.logNext += m;
      return;
    }
    const lo = Math.max(from, p.startMs);
    const hi = Math.min(to, p.stopMs);
    const span = hi - lo;
    if (perEvent) {
      for (let j = 0; j < m; j++) times[j] = lo + random.next() * span;
      times.subarray(0, m).sort();
    } else {
      for (let j = 0; j < m; j++) times[j] = lo + ((j + 0.5) * span) / m;
    }
    if (needKeys) for (let j = 0; j < m; j++) keys[j] = p.keys.sample(random);
  };

  const deliverArrivals = (p: ProducerRun, m: number, from: number, to: number, now: number) => {
    const needKeys = p.log !== undefined || p.targets.some((t) => t.grouping !== 'none');
    drawArrivals(p, m, from, to, needKeys);
    const { keys, times } = keyScratch;
    const lo = Math.max(from, p.startMs);
    const hi = Math.min(to, p.stopMs);
    for (const target of p.targets) {
      if (target.grouping === 'none' && !perEvent && p.log === undefined) {
        target.worker.expect(
          { kind: 'fluid', src: p.index, from: lo, span: hi - lo, m, sent: 0 },
          now,
        );
        continue;
      }
      const cohorts: Cohort[] = new Array(m);
      for (let j = 0; j < m; j++) {
        const key = keys[j] as number;
        const t = times[j] as number;
        cohorts[j] =
          target.grouping === 'key'
            ? cohort(1, t, t, key, key, p.index)
            : target.grouping === 'lane'
              ? cohort(1, t, t, -1, (lanes as KeyGroups).groupOf(key), p.index)
              : cohort(1, t, t, p.log ? key : -1, -1, p.index);
      }
      if (perEvent) {
        for (const c of cohorts) scheduler.schedule(c.t0, (at) => target.worker.deliver([c], at));
      } else {
        target.worker.expect({ kind: 'discrete', cohorts, next: 0 }, now);
      }
    }
  };

  /** Arrivals of [at, at + tickMs): registered at the tick's start, sent as the clock passes. */
  const tick = (at: number) => {
    for (const p of producers) {
      const m = arrivalsIn(p, at, at + tickMs);
      if (m > 0) {
        p.sentMessages += m;
        deliverArrivals(p, m, at, at + tickMs, at);
      }
    }
    if (at + tickMs < producersStopMs) scheduler.schedule(at + tickMs, tick);
  };

  // Sampling ------------------------------------------------------------------------------------
  const sampleMs =
    (workload.sampleSeconds ?? Math.max(1, Math.ceil(producersStopMs / 1000 / 600))) * 1000;
  const series: SeriesRow[] = [];
  const last = new Map<
    WorkerModel,
    {
      sent: number;
      processed: number;
      throttles: number;
      failures: number;
      cold: number;
      area: number;
    }
  >();
  let drained = false;
  let stopAt = Number.POSITIVE_INFINITY;
  const sample = (at: number) => {
    for (const w of workers) w.flush(at);
    for (const w of workers) {
      const s = w.stats;
      const prev = last.get(w) ?? {
        sent: 0,
        processed: 0,
        throttles: 0,
        failures: 0,
        cold: 0,
        area: 0,
      };
      const area = w.executingArea(at);
      const seconds = sampleMs / 1000;
      const oldest = w.oldestSendTime();
      series.push({
        t: at / 1000,
        worker: w.name,
        arrivalsPerSecond: (s.sent - prev.sent) / seconds,
        throughputPerSecond: (s.processed - prev.processed) / seconds,
        backlog: w.queue.backlog,
        inFlight: w.queue.inFlight,
        concurrency: (area - prev.area) / sampleMs,
        peakConcurrency: s.peakExecuting,
        mappingConcurrency: w.allowed,
        oldestAgeSeconds: Number.isFinite(oldest) ? Math.max(0, (at - oldest) / 1000) : 0,
        throttles: s.throttles - prev.throttles,
        recordFailures: s.recordFailures - prev.failures,
        deadLetters: s.redriven + s.deadLettered,
        coldStarts: s.coldStarts - prev.cold,
      });
      last.set(w, {
        sent: s.sent,
        processed: s.processed,
        throttles: s.throttles,
        failures: s.recordFailures,
        cold: s.coldStarts,
        area,
      });
    }
    options.onSample?.(at);
    if (at >= producersStopMs && workers.every((w) => w.idle)) {
      drained = true;
      stopAt = at;
      return;
    }
    if (at + sampleMs <= endMs) scheduler.schedule(at + sampleMs, sample);
    else stopAt = at;
  };

  // Run ----------------------------------------------------------------------------------------
  const parts: SimulationParts = {
    workers,
    get producers() {
      return producers.map((p) => ({
        name: p.spec.name,
        via: p.spec.via,
        sentMessages: p.sentMessages,
      }));
    },
    functions,
    tables,
    whatIf,
    effective,
  };
  for (const w of workers) w.start(0);
  scheduler.schedule(0, tick);
  scheduler.schedule(sampleMs, sample);
  let now = 0;
  for (;;) {
    const event = events.pop();
    if (!event) break;
    if (event.at > stopAt) break;
    now = event.at;
    event.fire(now);
    eventCount++;
    options.onEvent?.(now, parts);
  }
  return {
    parts,
    series,
    simulatedMs: Math.min(now, stopAt),
    producersStopMs,
    drained,
    events: eventCount,
    wallMs: performance.now() - started,
    sampleMs,
    perEvent,
  };
}

function fifoCallsPerSecond(settings: WorkerSettings, workload: Workload): number {
  if (!settings.queue.highThroughput) return AWS.sqs.fifoCallsPerSecond;
  const region = workload.account.region;
  const quota =
    workload.account.fifoCallsPerSecond ?? AWS.sqs.fifoHighThroughputCallsPerSecond[region];
  if (quota === undefined) {
    throw new WorkloadError('workload', [
      `account.fifoCallsPerSecond: needed for the high-throughput FIFO queue of ${settings.name} in ${region} (docs/aws-limits.md lists ${Object.keys(AWS.sqs.fifoHighThroughputCallsPerSecond).join(', ')}); set it from the SQS quotas page`,
    ]);
  }
  return quota;
}

function resolveSettings(
  s: WorkerSettings,
  config: WorkerWorkload | undefined,
): { settings: EffectiveSettings; changes: string[]; reserved: number | undefined } {
  const w = config?.whatIf ?? {};
  const changes: string[] = [];
  const pick = <T>(label: string, deployed: T, changed: T | undefined): T => {
    if (changed === undefined) return deployed;
    if (changed !== deployed)
      changes.push(`${label} ${String(deployed ?? 'none')} -> ${String(changed ?? 'none')}`);
    return changed;
  };
  const provisionedWhatIf =
    w.provisionedPollers === undefined
      ? undefined
      : w.provisionedPollers === null
        ? null
        : {
            minimumPollers: w.provisionedPollers.minimum,
            maximumPollers: w.provisionedPollers.maximum,
          };
  const provisioned =
    provisionedWhatIf === undefined ? s.mapping.provisioned : (provisionedWhatIf ?? undefined);
  if (provisionedWhatIf !== undefined)
    changes.push(
      `provisionedPollers ${s.mapping.provisioned ? `${s.mapping.provisioned.minimumPollers}..${s.mapping.provisioned.maximumPollers}` : 'none'} -> ${provisioned ? `${provisioned.minimumPollers}..${provisioned.maximumPollers}` : 'none'}`,
    );
  const maxConcurrency = pick(
    'maxConcurrency',
    s.mapping.maximumConcurrency,
    w.maxConcurrency === null ? undefined : w.maxConcurrency,
  );
  const explicitlyUnset = w.maxConcurrency === null && s.mapping.maximumConcurrency !== undefined;
  if (explicitlyUnset) changes.push(`maxConcurrency ${s.mapping.maximumConcurrency} -> none`);
  let reserved: number | undefined;
  if (w.reservedConcurrency === null) {
    changes.push(`reservedConcurrency ${s.function.reservedConcurrency ?? 'none'} -> none`);
    reserved = undefined;
  } else {
    reserved = pick('reservedConcurrency', s.function.reservedConcurrency, w.reservedConcurrency);
  }
  const batchSize = pick('batchSize', s.mapping.batchSize, w.batchSize);
  if (s.queue.fifo && batchSize > 10)
    throw new WorkloadError('workload', [
      `workers.${s.name}.whatIf.batchSize: at most 10 on a FIFO queue (given ${batchSize})`,
    ]);
  const settings: EffectiveSettings = {
    fifo: s.queue.fifo,
    batchSize,
    batchingWindowMs:
      pick(
        'maximumBatchingWindowSeconds',
        s.mapping.maximumBatchingWindowSeconds,
        w.maximumBatchingWindowSeconds,
      ) * 1000,
    maxConcurrency: explicitlyUnset || provisioned ? undefined : maxConcurrency,
    provisioned,
    reportBatchItemFailures: pick(
      'reportBatchItemFailures',
      s.mapping.reportBatchItemFailures,
      w.reportBatchItemFailures,
    ),
    visibilityTimeoutMs:
      pick(
        'visibilityTimeoutSeconds',
        s.queue.visibilityTimeoutSeconds,
        w.visibilityTimeoutSeconds,
      ) * 1000,
    maxReceiveCount: pick('maxReceiveCount', s.queue.maxReceiveCount, w.maxReceiveCount),
    timeoutMs: pick('timeoutSeconds', s.function.timeoutSeconds, w.timeoutSeconds) * 1000,
    lanesRuntime: s.function.lanesRuntime,
  };
  return { settings, changes, reserved };
}

function tableFor(
  settings: WorkerSettings,
  config: WorkerWorkload,
  tables: readonly TableSettings[],
  built: Map<string, PartitionedTable>,
  names: KeyNames,
): PartitionedTable {
  let table: TableSettings | undefined;
  if (config.table) {
    table = tables.find((t) => t.logicalId === config.table || t.name === config.table);
    if (!table)
      throw new WorkloadError('workload', [
        `workers.${settings.name}.table: no table ${config.table} (tables: ${tables.map((t) => t.name).join(', ') || 'none'})`,
      ]);
  } else {
    const used = tables.filter((t) => settings.function.tables.includes(t.logicalId));
    if (used.length !== 1)
      throw new WorkloadError('workload', [
        `workers.${settings.name}.table: ${used.length === 0 ? 'the function refers to no table' : `the function refers to ${used.length} tables`}; name the table that takes the per-key writes (tables: ${tables.map((t) => t.name).join(', ') || 'none'})`,
      ]);
    table = used[0] as TableSettings;
  }
  const partitions = config.partitions ?? table.partitions;
  const id = `${table.logicalId}:${partitions}`;
  let model = built.get(id);
  if (!model) {
    model = new PartitionedTable(partitions, HashedGroups.partitions(names, partitions));
    built.set(id, model);
  }
  if (model.partitions !== partitions)
    throw new SimulationError(`table ${table.name} is used with two partition counts`);
  return model;
}
