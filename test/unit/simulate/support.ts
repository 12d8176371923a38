import { runSimulation, type SimulationRun } from '#shared/simulate/engine.ts';
import { summarize, type WorkerSummary } from '#shared/simulate/report.ts';
import type { PipelineModel, WorkerSettings } from '#shared/simulate/template.ts';
import type { WorkerModel } from '#shared/simulate/worker.ts';
import { parseWorkload, type WorkloadInput } from '#shared/simulate/workload.ts';

/** Settings of a test worker; each defaults to what the Worker construct would synthesize. */
export interface TestWorker {
  readonly name?: string;
  readonly fifo?: boolean;
  readonly batchSize?: number;
  readonly windowSeconds?: number;
  readonly maxConcurrency?: number;
  readonly provisioned?: { readonly minimumPollers: number; readonly maximumPollers: number };
  readonly reservedConcurrency?: number;
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
  readonly timeoutSeconds?: number;
  readonly reportBatchItemFailures?: boolean;
  readonly lanesRuntime?: boolean;
  readonly highThroughput?: boolean;
  readonly tables?: readonly string[];
}

/** A worker as the template reader would produce it. */
export function workerSettings(w: TestWorker = {}): WorkerSettings {
  const name = w.name ?? 'W';
  return {
    name,
    stack: 'Test',
    queue: {
      logicalId: `${name}Queue`,
      fifo: w.fifo ?? false,
      visibilityTimeoutSeconds: w.visibilityTimeoutSeconds ?? 90,
      maxReceiveCount: w.maxReceiveCount ?? 5,
      deadLetterQueue: `${name}Dlq`,
      highThroughput: w.highThroughput ?? true,
    },
    mapping: {
      logicalId: `${name}Mapping`,
      batchSize: w.batchSize ?? 10,
      maximumBatchingWindowSeconds: w.windowSeconds ?? 0,
      maximumConcurrency: w.provisioned ? undefined : w.maxConcurrency,
      provisioned: w.provisioned,
      reportBatchItemFailures: w.reportBatchItemFailures ?? true,
    },
    function: {
      logicalId: `${name}Function`,
      timeoutSeconds: w.timeoutSeconds ?? 15,
      memoryMb: 256,
      reservedConcurrency: w.reservedConcurrency,
      arm: false,
      lanesRuntime: w.lanesRuntime ?? false,
      tables: w.tables ?? [],
    },
  };
}

/** An app of the given workers (and a Results table of 4 partitions). */
export function testApp(...workers: TestWorker[]): PipelineModel {
  return {
    stacks: ['Test'],
    workers: (workers.length > 0 ? workers : [{}]).map(workerSettings),
    tables: [{ logicalId: 'Results', name: 'Results', onDemand: true, partitions: 4 }],
    laneCount: 8,
  };
}

/** Runs a workload (checked by the real schema) and summarizes it. */
export function simulate(
  app: PipelineModel,
  input: WorkloadInput,
  onEvent?: (now: number, workers: readonly WorkerModel[]) => void,
): {
  run: SimulationRun;
  summary: WorkerSummary;
  worker: WorkerModel;
  byName: (name: string) => WorkerSummary;
} {
  const workload = parseWorkload(input, 'test workload');
  const run = runSimulation(
    app,
    workload,
    onEvent ? { onEvent: (now, parts) => onEvent(now, parts.workers) } : {},
  );
  const summaries = summarize(run).workers;
  return {
    run,
    summary: summaries[0] as WorkerSummary,
    worker: run.parts.workers[0] as WorkerModel,
    byName: (name) => summaries.find((s) => s.name === name) as WorkerSummary,
  };
}

/** Series rows of one worker. */
export function rowsOf(run: SimulationRun, worker = 'W') {
  return run.series.filter((r) => r.worker === worker);
}
