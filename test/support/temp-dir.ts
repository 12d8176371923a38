/**
 * Setup file of every test project: the test process gets its own temporary directory (TMPDIR),
 * emptied after each test file. CDK's `new App()` without an outdir synthesizes into a fresh
 * `cdk.out*` directory under the temporary directory and never removes it: a run of the template
 * tests left a hundred of them (tens of megabytes) in /tmp, every run. The directory is inside
 * the run's own (`LANES_TEST_RUN_TMPDIR`, made by vitest.config.ts), which vitest's process
 * removes when it exits: a test process it stops at the end cannot be relied on to clean up.
 *
 * One directory per process, not per file: the unit project runs its files one after another in
 * a shared module graph (`isolate: false`), where CDK keeps the temporary directory it saw first.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const DIR = Symbol.for('lanes.test.tmpdir');
const processGlobals = globalThis as { [DIR]?: string };
// Under the system's temporary directory, not the checkout: a test that builds an npm project
// there must not find the checkout's node_modules by walking up.
processGlobals[DIR] ??= mkdtempSync(
  join(process.env.LANES_TEST_RUN_TMPDIR ?? tmpdir(), 'lanes-test-'),
);
const dir = processGlobals[DIR];
process.env.TMPDIR = dir;

afterAll(() => {
  for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
});
