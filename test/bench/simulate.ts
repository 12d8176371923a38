/**
 * Simulator benchmark (run: `npm run bench:simulate`; no LocalStack, no AWS). Measures, in one run:
 * 1. Our path: one simulated hour at 5,000 events/s on the reference pipeline
 *    (test/bench/simulate-hour.yaml), aggregated mode: wall and CPU time, simulated/wall ratio.
 * 2. The baseline: the same scenario modelled per event (every message its own event), over its
 *    first BASELINE_SECONDS simulated seconds (the whole hour would take minutes), and the
 *    aggregated mode over the same span, so both speeds and results compare like for like.
 * Writes test/bench/results/simulate.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PipelineStack } from '#orders/infra/pipeline-stack.ts';
import { runSimulation } from '#shared/simulate/engine.ts';
import { summarize } from '#shared/simulate/report.ts';
import { pipelineFromTemplate } from '#shared/simulate/template.ts';
import { loadWorkload, type Workload } from '#shared/simulate/workload.ts';

const WORKLOAD = resolve(process.cwd(), 'test/bench/simulate-hour.yaml');
const RESULT_FILE = resolve(process.cwd(), 'test/bench/results/simulate.json');
const BASELINE_SECONDS = Number(process.env.BENCH_BASELINE_SECONDS ?? 300);

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

console.log('[bench] synthesizing Lanes-Pipeline in process (not timed)');
const app = pipelineFromTemplate(
  'Lanes-Pipeline',
  Template.fromStack(new PipelineStack(new App(), 'Lanes-Pipeline')).toJSON(),
);
const { workload } = loadWorkload(WORKLOAD);

function measure(label: string, w: Workload) {
  global.gc?.();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const run = runSimulation(app, w);
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const summary = summarize(run);
  const messages = summary.workers.reduce((n, x) => n + x.messages.sent, 0);
  const result = {
    simulatedSeconds: summary.simulatedSeconds,
    wallSeconds: round(wallSeconds),
    cpuSeconds: round(cpuSeconds),
    events: run.events,
    producedEvents: run.parts.producers.reduce((n, p) => n + p.sentMessages, 0),
    queueMessages: messages,
    simulatedPerWallSecond: round(summary.simulatedSeconds / wallSeconds, 1),
    simulatedPerCpuSecond: round(summary.simulatedSeconds / cpuSeconds, 1),
    workers: summary.workers.map((x) => ({
      name: x.name,
      processed: x.messages.processed,
      meanThroughputPerSecond: x.throughputPerSecond.mean,
      invocations: x.invocations,
      dwellP50Seconds: x.dwellSeconds.p50,
      dwellP99Seconds: x.dwellSeconds.p99,
      peakConcurrency: x.peakConcurrency,
    })),
  };
  console.log(
    `[bench] ${label}: ${result.simulatedSeconds} s simulated in ${result.wallSeconds} s wall (${result.cpuSeconds} s CPU), ${result.events} events`,
  );
  return result;
}

const withHorizon = (perEvent: boolean, seconds: number): Workload => ({
  ...workload,
  durationSeconds: seconds,
  model: { ...workload.model, perEvent },
});

const hour = measure('aggregated, one hour', workload);
const aggregatedShort = measure(
  `aggregated, first ${BASELINE_SECONDS} s`,
  withHorizon(false, BASELINE_SECONDS),
);
const perEventShort = measure(
  `per event, first ${BASELINE_SECONDS} s`,
  withHorizon(true, BASELINE_SECONDS),
);

const result = {
  benchmark: 'simulate',
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    node: process.version,
    loadAverageAtEnd: loadavg().map((l) => round(l)),
  },
  workload: 'test/bench/simulate-hour.yaml',
  scenario:
    'reference pipeline (Lanes-Pipeline), 5,000 events/s for 3,600 s, fanned out to Orders (FIFO) and Notifications (standard)',
  hour,
  underSixtySecondsWall: hour.wallSeconds < 60,
  baseline: {
    simulatedSeconds: BASELINE_SECONDS,
    aggregated: aggregatedShort,
    perEvent: perEventShort,
    /** How many times faster the aggregated model runs the same simulated span (CPU time). */
    speedupCpu: round(perEventShort.cpuSeconds / aggregatedShort.cpuSeconds, 2),
    speedupWall: round(perEventShort.wallSeconds / aggregatedShort.wallSeconds, 2),
  },
  notes: [
    "Wall time is on a 2-core machine shared with other engineers (see loadAverageAtEnd); CPU time is the process's own.",
    'The per-event baseline models every message as its own event; the aggregated mode keeps cohorts and sends arrivals as the clock passes them (README, "Simulator").',
    'Both modes agree on throughput and dwell (test/unit/simulate/modes.test.ts); compare the workers blocks above.',
  ],
};
mkdirSync(dirname(RESULT_FILE), { recursive: true });
writeFileSync(RESULT_FILE, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `[bench] one hour: ${hour.wallSeconds} s wall, ${hour.cpuSeconds} s CPU (${hour.simulatedPerWallSecond} simulated s per wall s)`,
);
console.log(
  `[bench] per-event baseline is ${result.baseline.speedupCpu}x slower (CPU) over ${BASELINE_SECONDS} s; wrote ${RESULT_FILE}`,
);
