import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/longest-first-sequencer.ts';

/** Aliases from the package's own `exports` map: `lanes/x` -> the `lanes-source` file. */
function sourceAliases(): { find: RegExp; replacement: string }[] {
  const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, 'package.json'), 'utf8'));
  return Object.entries(manifest.exports as Record<string, string | Record<string, string>>)
    .filter((entry): entry is [string, Record<string, string>] => typeof entry[1] === 'object')
    .map(([subpath, conditions]) => ({
      find: new RegExp(`^lanes${subpath.slice(1).replace('/', '\\/')}$`),
      replacement: resolve(import.meta.dirname, conditions['lanes-source'] as string),
    }));
}

// The SDK warns once per process that Node 20 support ends in 2027 (Lambda declares Node 22);
// this is its documented switch, and the test workers and their children inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// The run's temporary directory: each test process makes its own inside it
// (test/support/temp-dir.ts), and vitest's process removes it all when it exits, also what a
// test process it stopped could not remove.
if (process.env.LANES_TEST_RUN_TMPDIR === undefined) {
  const runTmpdir = mkdtempSync(join(tmpdir(), 'lanes-test-run-'));
  process.env.LANES_TEST_RUN_TMPDIR = runTmpdir;
  process.once('exit', () => rmSync(runTmpdir, { recursive: true, force: true }));
}

/**
 * Integration files that measure time, rates or peaks: they run after the other integration
 * files, three at a time (project `timed`). Measured on CI, the machine is 5-40 % busy while they
 * run one at a time: they wait on visibility timeouts, work and periods, not on the CPU.
 */
const TIMED_INTEGRATION_FILES = [
  'test/integration/operations/autoscaling.test.ts',
  'test/integration/operations/drain.test.ts',
  'test/integration/event-source-mapping/concurrency.test.ts',
  'test/integration/event-source-mapping/fifo-groups.test.ts',
  'test/integration/event-source-mapping/batching.test.ts',
  'test/integration/event-source-mapping/watch.test.ts',
  'test/integration/workflows/queue-steps.test.ts',
  'test/integration/coordination/leases.test.ts',
  // Its bound (a fifth of the dwell without fair mode) is far from what it measures (about 1/50).
  'test/integration/operations/fair-queues.test.ts',
  'test/integration/executor/executor.test.ts',
  // Moves messages of the pipeline's orders DLQ (a poison event), as dead-letters.test.ts does.
  'test/integration/observability/alarms-and-dead-letters.test.ts',
];

/**
 * Integration files that compare rates or a slope with a model, within 15-20 %, or share a queue
 * with a timed file: they run last, one at a time, with the machine to themselves (project
 * `timed-alone`).
 */
const TIMED_ALONE_INTEGRATION_FILES = [
  'test/integration/simulate/**/*.test.ts',
  'test/integration/event-source-mapping/scaling.test.ts',
  // Redrives the pipeline's orders DLQ, where alarms-and-dead-letters.test.ts puts a poison event.
  'test/integration/ingress/dead-letters.test.ts',
];

/**
 * Five projects: `unit` (logic and CDK templates, no AWS), `integration` (real stacks on
 * LocalStack, two files at a time: each works on its own resources or run id), `timed` (the
 * first list above, three at a time, after the others), `timed-alone` (the second list, one at a
 * time, last) and `faults` (crashes, timeouts,
 * throttling, duplicates on LocalStack; `npm run test:faults`). The integration projects' global
 * setup starts the embedded LocalStack when no endpoint is given and deploys the reference stacks
 * once for every integration test file, while the unit tests run first (each integration file
 * waits for the deploy in its setup file); the faults project's setup does the same and deploys its
 * own stack (test/faults/support).
 */
/**
 * What the three projects on the embedded LocalStack share: the setup that starts it and deploys
 * the reference stacks, each file's wait for that deploy, LocalStack-sized timeouts, and files
 * sharing a worker's module graph (as in `unit`: the SDK and CDK are imported once per worker).
 */
const LOCALSTACK_PROJECT = {
  globalSetup: ['test/integration/support/global-setup.ts'],
  // After the root's temp-dir setup (project setup files are added to it).
  setupFiles: ['test/integration/support/await-reference-stacks.ts'],
  testTimeout: 300_000,
  hookTimeout: 600_000,
  isolate: false,
};

export default defineConfig({
  // `lanes` and `lanes/*` (the reference app's imports) resolve to the sources, as Node does with
  // the `lanes-source` export condition, not to the built dist/.
  resolve: { alias: sourceAliases() },
  test: {
    // A temporary directory per test process, emptied after each file (CDK leaves its cdk.out* there).
    setupFiles: ['test/support/temp-dir.ts'],
    // Long files first in each project, also on a fresh clone, which has no cached durations.
    sequence: { sequencer: LongestFirstSequencer },
    // The JSON report is what .ci/run counts (LANES_TEST_REPORT moves it); the default reporter is for people.
    reporters: [
      'default',
      ['json', { outputFile: process.env.LANES_TEST_REPORT ?? '.lanes/test-results.json' }],
    ],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          // Worker tests would print every EMF metrics line; they assert on effects instead.
          env: { POWERTOOLS_METRICS_DISABLED: 'true' },
          testTimeout: 60_000,
          // A template test's synth in a hook: the deploy runs beside the unit files (below).
          hookTimeout: 60_000,
          maxWorkers: 2,
          // Files share a worker's module graph: aws-cdk-lib and the SDK are imported once per
          // worker instead of once per file (the project took half the time). No unit file mocks
          // modules, and the files that change process.env put it back.
          isolate: false,
          // First, alone: while it runs, the integration setup deploys the reference stacks.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [...TIMED_INTEGRATION_FILES, ...TIMED_ALONE_INTEGRATION_FILES],
          ...LOCALSTACK_PROJECT,
          // Most of an integration file's time is waiting on LocalStack: two at once on 2 cores.
          maxWorkers: 2,
          // After `unit`: by then the deploy has (nearly) finished.
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timed',
          include: TIMED_INTEGRATION_FILES,
          ...LOCALSTACK_PROJECT,
          maxWorkers: 3,
          // After `unit` and `integration` have finished.
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timed-alone',
          include: TIMED_ALONE_INTEGRATION_FILES,
          ...LOCALSTACK_PROJECT,
          fileParallelism: false,
          // Last, after `timed`.
          sequence: { groupOrder: 3 },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          // In-process workers would print every EMF metrics line; the deployed ones are unaffected.
          env: { POWERTOOLS_METRICS_DISABLED: 'true' },
          globalSetup: ['test/faults/support/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          // Scenarios kill and pause processes and count effects: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
