import type { SeriesRow } from '#shared/simulate/engine.ts';
import { runSimulation } from '#shared/simulate/engine.ts';
import { parseWorkload } from '#shared/simulate/workload.ts';
import type { LocalRun, Outcome } from './local-run.ts';
import { type CalibrationScenario, modelOf } from './scenarios.ts';

/** Time between the messages of one FIFO SendMessageBatch in the replay (see runModel). */
const FIFO_SEND_SPREAD_MS = 0.1;

/**
 * Runs the scenario in the simulator with the local run's own arrivals (every send replayed at its
 * time, with its message group) and the timings measured there: handler time per record,
 * invocation overhead, the poller's receive and delete time. Environments were warm locally, so
 * no cold start is modelled.
 */
export function runModel(scenario: CalibrationScenario, local: LocalRun): Outcome {
  // On a FIFO queue the messages of one SendMessageBatch (one per group here) land one after
  // another, and a waiting poller takes a group as soon as its first message is there: locally
  // they go out as several small batches, not as one batch that holds every group of the send
  // (measured: after the first, batches of 1 message). A tenth of a millisecond apart says so.
  const spreadMs = scenario.fifo ? FIFO_SEND_SPREAD_MS : 0;
  const timesMs = Float64Array.from(
    local.sends.flatMap((s) => s.groups.map((_, i) => s.atMs + i * spreadMs)),
  );
  const keys = local.sends.flatMap((s) => s.groups);
  const t = local.timings;
  const workload = parseWorkload(
    {
      durationSeconds: 1,
      drainLimitSeconds: 600,
      sampleSeconds: 0.1,
      producers: [
        { name: 'local sends', rate: { shape: 'replay', file: '(local run)' }, process: 'even' },
      ],
      workers: {
        Calibration: {
          recordMs: t.recordMs,
          invocationMs: t.invocationMs,
          coldStartMs: 0,
          records: 'sequential',
        },
      },
      model: { pollOverheadMs: t.pollOverheadMs, wakeLatencyMs: t.wakeLatencyMs },
    },
    'calibration',
  );
  const run = runSimulation(modelOf(scenario), workload, {
    logs: new Map([[0, { timesMs, keys }]]),
  });
  const worker = run.parts.workers[0];
  if (!worker) throw new Error('the calibration app has no worker');
  const rows = run.series.filter((r) => r.worker === 'Calibration');
  return {
    throughputPerSecond: worker.stats.processed / (worker.stats.lastDoneMs / 1000),
    peakConcurrency: worker.stats.peakExecuting,
    drainSeconds: drainFromSeries(rows, local.burstAtMs, scenario.batchSize),
  };
}

/** The model's backlog (waiting and in flight, as counted locally) cleared after the burst. */
function drainFromSeries(rows: readonly SeriesRow[], burstAtMs: number, threshold: number): number {
  const after = rows.filter((r) => r.t * 1000 >= burstAtMs);
  let peak = 0;
  for (let i = 1; i < after.length; i++) {
    const r = after[i] as SeriesRow;
    const p = after[peak] as SeriesRow;
    if (r.backlog + r.inFlight > p.backlog + p.inFlight) peak = i;
  }
  for (let i = peak; i < after.length; i++) {
    const r = after[i] as SeriesRow;
    if (r.backlog + r.inFlight <= threshold) return r.t - burstAtMs / 1000;
  }
  return Number.NaN;
}
