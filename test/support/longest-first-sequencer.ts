import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds the longest test files take on a 2-core machine (CI and fresh clones, measured). A
 * project's files start longest first, so its two workers finish at about the same time.
 *
 * Vitest orders by the durations it cached on earlier runs, and a fresh clone has none: it then
 * starts the largest files first, and there the 110-second pipeline test started last of the
 * integration files. The integration phase took 283 s instead of 204 s.
 */
export const EXPECTED_SECONDS: Readonly<Record<string, number>> = {
  'test/infra/operations.test.ts': 27,
  'test/infra/cdk-nag.test.ts': 21,
  'test/infra/worker.test.ts': 16,
  'test/infra/simulate-cli.test.ts': 15,
  'test/infra/workflow.test.ts': 8,
  'test/integration/package/consumer-app.test.ts': 110,
  'test/integration/ingress/pipeline.test.ts': 90,
  'test/integration/operations/canary.test.ts': 80,
  'test/integration/workflows/fulfilment.test.ts': 60,
  'test/integration/event-source-mapping/throttling.test.ts': 47,
  'test/integration/operations/autoscaling.test.ts': 97,
  'test/integration/coordination/leases.test.ts': 60,
  // Ahead of fair-queues, so the three timed files that start together are not two 2,000-message
  // backlogs beside the lease contention: fair-queues took 128 s there instead of 43.
  'test/integration/event-source-mapping/concurrency.test.ts': 44,
  'test/integration/operations/fair-queues.test.ts': 43,
  'test/integration/workflows/queue-steps.test.ts': 26,
  'test/integration/operations/drain.test.ts': 21,
};

/**
 * Vitest's own order (projects, then cached durations or sizes), except that within a project
 * the files of {@link EXPECTED_SECONDS} go first, longest first.
 *
 * @example
 * // vitest.config.ts
 * test: { sequence: { sequencer: LongestFirstSequencer } }
 */
export class LongestFirstSequencer extends BaseSequencer {
  public override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const projectRank = new Map<string, number>();
    for (const file of base) {
      if (!projectRank.has(file.project.name)) projectRank.set(file.project.name, projectRank.size);
    }
    const root = this.ctx.config.root;
    const key = (file: TestSpecification, index: number) => ({
      project: projectRank.get(file.project.name) ?? 0,
      seconds: EXPECTED_SECONDS[relative(root, file.moduleId)] ?? 0,
      index,
    });
    return base
      .map((file, index) => ({ file, key: key(file, index) }))
      .sort(
        (a, b) =>
          a.key.project - b.key.project ||
          b.key.seconds - a.key.seconds ||
          a.key.index - b.key.index,
      )
      .map(({ file }) => file);
  }
}
