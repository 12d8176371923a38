import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  formatSeconds,
  formatSummary,
  loadWorkload,
  readPipelineModel,
  renderPlots,
  runSimulation,
  SimulationError,
  seriesCsv,
  summarize,
  type WorkerSummary,
} from '../shared/simulate/index.ts';
import type { Command } from './command.ts';
import { UsageError } from './usage.ts';

/** `backlog 43,952 cleared 1.7 min after it began`, or the drain time when there was none. */
function episodeText(w: WorkerSummary): string {
  const e = w.backlogEpisode;
  if (!e) return `drained ${formatSeconds(w.drainSeconds)} after the last send`;
  const peak = w.peakBacklog.toLocaleString('en-US');
  return e.clearedAtSeconds === undefined
    ? `backlog ${peak}, not cleared by the end`
    : `backlog ${peak} cleared ${formatSeconds(e.clearedAtSeconds - e.startedAtSeconds)} after it began`;
}

const USAGE = `lanes simulate <workload.yaml|json> [--stack NAME]... [--cdk-out DIR] [--synth]
                     [--out DIR] [--per-event] [--quiet]

  Runs the workload against the synthesized app (its workers' settings read from cdk.out) on a
  virtual clock, prints a summary and writes <out>/<name>.summary.json, .series.json, .series.csv
  and .svg (backlog, concurrency, throughput, age of the oldest message).
  --stack NAME   stacks to model (default: the workload's \`stacks:\`)
  --cdk-out DIR  the synthesized templates (default cdk.out)
  --synth        run \`cdk synth\` first
  --out DIR      where the files go (default .lanes/simulate)
  --per-event    model every event on its own (slower; the baseline of bench:simulate)
  --quiet        no progress lines`;

/**
 * `lanes simulate <workload>`: runs the workload against the synthesized app on a virtual clock,
 * prints the summary and writes `<out>/<name>.summary.json`, `.series.json`, `.series.csv` and
 * `.svg` (backlog, concurrency, throughput, age of the oldest message).
 *
 * @example
 * npx lanes simulate docs/simulate/reference-spike.yaml --stack Lanes-Pipeline --out docs/simulate
 */
export async function simulate(
  argv: string[],
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stack: { type: 'string', multiple: true },
      'cdk-out': { type: 'string', default: 'cdk.out' },
      synth: { type: 'boolean', default: false },
      out: { type: 'string', default: '.lanes/simulate' },
      'per-event': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    throw new UsageError(
      `lanes simulate needs one workload file (given ${positionals.join(' ') || 'none'})`,
    );
  }
  const loaded = loadWorkload(file);
  const cdkOut = values['cdk-out'];
  if (values.synth) {
    print('[simulate] npx cdk synth --quiet');
    const synth = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', cdkOut], {
      stdio: 'inherit',
    });
    if (synth.status !== 0)
      throw new SimulationError(
        `cdk synth failed (exit ${synth.status}); fix the app and run again`,
      );
  }
  const stacks = values.stack ?? loaded.workload.stacks;
  if (!stacks) {
    let available: string[] = [];
    try {
      available = readdirSync(cdkOut)
        .filter((f) => f.endsWith('.template.json'))
        .map((f) => f.replace(/\.template\.json$/, ''));
    } catch {
      // no cdk.out yet: the message says how to make it
    }
    throw new SimulationError(
      `name the stacks to simulate with --stack or \`stacks:\` in ${file} (synthesized: ${available.join(', ') || `none in ${cdkOut}; run npx cdk synth`})`,
    );
  }
  const app = readPipelineModel(stacks, cdkOut);
  const workload = values['per-event']
    ? { ...loaded.workload, model: { ...loaded.workload.model, perEvent: true } }
    : loaded.workload;
  let lastReport = performance.now();
  const run = runSimulation(app, workload, {
    logs: loaded.logs,
    onSample: (ms) => {
      if (values.quiet || performance.now() - lastReport < 5000) return;
      lastReport = performance.now();
      print(`[simulate] ${Math.round(ms / 1000)} s simulated`);
    },
  });
  const summary = summarize(run);
  for (const line of formatSummary(summary)) print(line);

  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  const name = basename(file, extname(file));
  const base = join(out, name);
  writeFileSync(`${base}.summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(`${base}.series.json`, `${JSON.stringify(run.series)}\n`);
  writeFileSync(`${base}.series.csv`, seriesCsv(run.series));
  const subtitle = summary.workers.map(
    (w) =>
      `${w.name}: peak ${Math.round(w.throughputPerSecond.peak).toLocaleString('en-US')} msg/s, p99 dwell ${formatSeconds(w.dwellSeconds.p99)}, ${episodeText(w)}${w.whatIf.length ? ` (what-if: ${w.whatIf.join(', ')})` : ''}`,
  );
  writeFileSync(
    `${base}.svg`,
    await renderPlots(run.series, {
      title: `lanes simulate ${basename(file)} (${stacks.join(', ')})`,
      subtitle,
    }),
  );
  print('');
  print(`wrote ${base}.summary.json, .series.json, .series.csv, .svg`);
  return 0;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'a virtual-clock model of the synthesized app at AWS scale: summary, series, SVG plots',
  usage: USAGE,
  run: simulate,
};
