/**
 * Setup file of every test project: each test file gets its own temporary directory (TMPDIR) and
 * it is removed when the file ends. CDK's `new App()` without an outdir synthesizes into a fresh
 * `cdk.out*` directory under the temporary directory and never removes it: a run of the template
 * tests left a hundred of them (tens of megabytes) in /tmp, every run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const previous = process.env.TMPDIR;
// Under the system's temporary directory, not the checkout: a test that builds an npm project
// there must not find the checkout's node_modules by walking up.
const dir = mkdtempSync(join(tmpdir(), 'lanes-test-'));
process.env.TMPDIR = dir;

afterAll(() => {
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
  rmSync(dir, { recursive: true, force: true });
});
