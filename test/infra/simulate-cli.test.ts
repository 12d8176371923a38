import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { simulate } from '#cli/simulate.ts';
import { PipelineStack } from '#orders/infra/pipeline-stack.ts';

describe('lanes simulate', () => {
  it('runs a workload against the synthesized reference pipeline and writes summary, series and plot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanes-simulate-'));
    const template = Template.fromStack(new PipelineStack(new App(), 'Lanes-Pipeline')).toJSON();
    writeFileSync(join(dir, 'Lanes-Pipeline.template.json'), JSON.stringify(template));
    const workload = join(dir, 'spike.yaml');
    writeFileSync(
      workload,
      [
        'stacks: [Lanes-Pipeline]',
        'durationSeconds: 120',
        'producers:',
        '  - name: orders',
        '    rate: { shape: spike, basePerSecond: 50, messages: 5000, atSeconds: 20, forSeconds: 5 }',
        '    keys: { distribution: uniform, count: 200 }',
        'workers:',
        '  Orders: { recordMs: { distribution: lognormal, p50Ms: 8, p99Ms: 40 } }',
        '  Notifications: { recordMs: 5, whatIf: { maxConcurrency: 10 } }',
      ].join('\n'),
    );
    const lines: string[] = [];
    const code = await simulate([workload, '--cdk-out', dir, '--out', dir, '--quiet'], (line) =>
      lines.push(line),
    );
    expect(code).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/^Orders {2}fifo batch 10, maxConcurrency 10, reserved 10/m);
    expect(text).toMatch(/what-if {8}maxConcurrency 2 -> 10/);
    expect(text).toMatch(/drain time/);
    expect(text).toMatch(/cost estimate {2}\$/);
    const summary = JSON.parse(readFileSync(join(dir, 'spike.summary.json'), 'utf8'));
    expect(summary.workers.map((w: { name: string }) => w.name).sort()).toEqual([
      'Notifications',
      'Orders',
    ]);
    expect(readFileSync(join(dir, 'spike.series.csv'), 'utf8').split('\n')[0]).toMatch(
      /^t,worker,arrivalsPerSecond/,
    );
    const svg = readFileSync(join(dir, 'spike.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const title of [
      'backlog (messages)',
      'concurrency (avg)',
      'throughput (msg/s)',
      'oldest message (s)',
    ])
      expect(svg).toContain(title);
  });

  it('says how to name the stacks when the workload does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanes-simulate-'));
    const workload = join(dir, 'w.json');
    writeFileSync(
      workload,
      JSON.stringify({
        durationSeconds: 1,
        producers: [{ name: 'p', rate: { shape: 'constant', perSecond: 1 } }],
      }),
    );
    await expect(simulate([workload, '--cdk-out', dir], () => {})).rejects.toThrow(
      /--stack .*none in/,
    );
  });

  it.each(['docs/simulate/reference-spike.yaml', 'test/bench/simulate-hour.yaml'])(
    'accepts the committed workload %s against the reference pipeline as it is now',
    async (path) => {
      const dir = mkdtempSync(join(tmpdir(), 'lanes-simulate-'));
      const template = Template.fromStack(new PipelineStack(new App(), 'Lanes-Pipeline')).toJSON();
      writeFileSync(join(dir, 'Lanes-Pipeline.template.json'), JSON.stringify(template));
      // The file as committed, cut to 30 simulated seconds: a field the app no longer accepts fails
      // here rather than in the README's command or the benchmark.
      const workload = parseYaml(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));
      const file = join(dir, 'workload.yaml');
      writeFileSync(
        file,
        stringifyYaml({ ...workload, durationSeconds: 30, drainLimitSeconds: 0 }),
      );
      const lines: string[] = [];
      const code = await simulate([file, '--cdk-out', dir, '--out', dir, '--quiet'], (line) =>
        lines.push(line),
      );
      expect(code, lines.join('\n')).toBe(0);
      expect(lines.join('\n')).toMatch(/^Orders {2}fifo batch 10/m);
    },
  );
});
