import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import { EXPECTED_SECONDS, LongestFirstSequencer } from '#test/support/longest-first-sequencer.ts';

const root = '/repo';

function spec(project: string, groupOrder: number, file: string): TestSpecification {
  return {
    project: { name: project, config: { sequence: { groupOrder }, isolate: false } },
    moduleId: `${root}/${file}`,
  } as unknown as TestSpecification;
}

/** A fresh clone: vitest has cached no durations and no sizes. */
const freshClone = {
  config: { root },
  cache: { getFileTestResults: () => undefined, getFileStats: () => undefined },
} as unknown as Vitest;

const names = (files: TestSpecification[]) =>
  files.map((f) => `${f.project.name}:${f.moduleId.slice(root.length + 1)}`);

describe('LongestFirstSequencer', () => {
  it('starts the long files of each project first, longest first, and keeps the projects in order', async () => {
    const files = [
      spec('timed', 2, 'test/integration/operations/drain.test.ts'),
      spec('integration', 1, 'test/integration/worker/guards.test.ts'),
      spec('integration', 1, 'test/integration/workflows/fulfilment.test.ts'),
      spec('timed', 2, 'test/integration/operations/autoscaling.test.ts'),
      spec('integration', 1, 'test/integration/package/consumer-app.test.ts'),
      spec('unit', 0, 'test/unit/cli/cli.test.ts'),
      spec('integration', 1, 'test/integration/ingress/pipeline.test.ts'),
    ];
    const sorted = await new LongestFirstSequencer(freshClone).sort(files);
    expect(names(sorted)).toEqual([
      'unit:test/unit/cli/cli.test.ts',
      'integration:test/integration/package/consumer-app.test.ts',
      'integration:test/integration/ingress/pipeline.test.ts',
      'integration:test/integration/workflows/fulfilment.test.ts',
      'integration:test/integration/worker/guards.test.ts',
      'timed:test/integration/operations/autoscaling.test.ts',
      'timed:test/integration/operations/drain.test.ts',
    ]);
  });

  it('names only files that exist', () => {
    const missing = Object.keys(EXPECTED_SECONDS).filter((file) => !existsSync(file));
    expect(missing).toEqual([]);
  });
});
