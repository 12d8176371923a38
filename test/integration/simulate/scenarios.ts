import type { PipelineModel, WorkerSettings } from '#shared/simulate/template.ts';

/**
 * The calibration scenarios: each runs on the embedded LocalStack (with the lanes event source
 * mapping) and in the simulator, from this one description, so no setting is stated twice.
 */
export interface CalibrationScenario {
  readonly name: string;
  readonly fifo: boolean;
  readonly batchSize: number;
  readonly maximumConcurrency: number;
  /** Time the recorder function works per record. */
  readonly workMs: number;
  readonly visibilityTimeoutSeconds: number;
  readonly functionTimeoutSeconds: number;
  /** Message groups (FIFO), sent round robin. */
  readonly groups?: number;
  /** Messages sent at once at the start (the burst whose drain is measured). */
  readonly burst: number;
  /** Optional steady traffic around the burst: messages per second, for how long, burst at when. */
  readonly base?: {
    readonly perSecond: number;
    readonly seconds: number;
    readonly burstAtSeconds: number;
  };
}

export const CALIBRATION_SCENARIOS: readonly CalibrationScenario[] = [
  {
    // A standard queue with a cap: the mapping runs exactly MaximumConcurrency batches.
    name: 'standard queue, maxConcurrency 4',
    fifo: false,
    batchSize: 10,
    maximumConcurrency: 4,
    workMs: 100,
    visibilityTimeoutSeconds: 60,
    functionTimeoutSeconds: 30,
    burst: 600,
  },
  {
    // FIFO with 20 message groups: one batch per group at a time, groups drain in order.
    name: 'FIFO queue, 20 groups, maxConcurrency 10',
    fifo: true,
    batchSize: 10,
    maximumConcurrency: 10,
    workMs: 50,
    visibilityTimeoutSeconds: 60,
    functionTimeoutSeconds: 30,
    groups: 20,
    burst: 800,
  },
  {
    // A spike on top of steady traffic: how long the spike's backlog takes to clear.
    name: 'spike of 1,000 on 20 msg/s, maxConcurrency 8',
    fifo: false,
    batchSize: 10,
    maximumConcurrency: 8,
    workMs: 40,
    visibilityTimeoutSeconds: 60,
    functionTimeoutSeconds: 30,
    burst: 1000,
    // The burst clears in about 6 s; the steady traffic goes on for 6 s more after that.
    base: { perSecond: 20, seconds: 20, burstAtSeconds: 8 },
  },
];

/** The scenario's worker as the simulator's template reader would describe it. */
export function modelOf(scenario: CalibrationScenario): PipelineModel {
  const worker: WorkerSettings = {
    name: 'Calibration',
    stack: 'Calibration',
    queue: {
      logicalId: 'Queue',
      fifo: scenario.fifo,
      visibilityTimeoutSeconds: scenario.visibilityTimeoutSeconds,
      maxReceiveCount: undefined,
      deadLetterQueue: undefined,
      highThroughput: false,
    },
    mapping: {
      logicalId: 'Mapping',
      batchSize: scenario.batchSize,
      maximumBatchingWindowSeconds: 0,
      maximumConcurrency: scenario.maximumConcurrency,
      provisioned: undefined,
      reportBatchItemFailures: true,
    },
    function: {
      logicalId: 'Function',
      timeoutSeconds: scenario.functionTimeoutSeconds,
      memoryMb: 128,
      reservedConcurrency: undefined,
      arm: false,
      lanesRuntime: false,
      tables: [],
    },
  };
  return { stacks: ['Calibration'], workers: [worker], tables: [], laneCount: undefined };
}
