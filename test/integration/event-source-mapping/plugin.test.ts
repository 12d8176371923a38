import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, paths } from '#localstack/settings.ts';

/**
 * The lanes_esm plugin patches LocalStack 4.13.1 internals. These checks run its Python tests and
 * its pinned-internals check in the provisioned virtual environment, so an upgrade of LocalStack
 * that changes a patched function fails here (and the embedded LocalStack refuses to start).
 */
const ESM_DIR = resolve(PROJECT_ROOT, 'embedded-localstack', 'esm');
const NO_VENV = `needs the provisioned Python environment (${paths.python}); run npm run localstack:setup`;

function python(args: string[]) {
  return spawnSync(paths.python, args, { cwd: ESM_DIR, encoding: 'utf8', timeout: 120_000 });
}

describe('lanes_esm LocalStack plugin', () => {
  it('finds every patched LocalStack internal unchanged from 4.13.1', () => {
    expect(existsSync(paths.python), NO_VENV).toBe(true);
    const result = python(['-m', 'lanes_esm.compat']);
    expect(result.stdout + result.stderr).toMatch(
      /^compatible: localstack-core 4\.13\.1, \d+ internals unchanged/,
    );
    expect(result.status).toBe(0);
  });

  it('passes its Python unit tests (scaling rules, settings, request checks, environments)', () => {
    expect(existsSync(paths.python), NO_VENV).toBe(true);
    const result = python(['-m', 'unittest', 'discover', '-s', 'tests', '-v']);
    console.info(result.stderr.trim().split('\n').slice(-3).join('\n'));
    expect(result.stderr).toMatch(/Ran \d+ tests/);
    expect(result.stderr.trimEnd()).toMatch(/\nOK$/);
    expect(result.status).toBe(0);
  });
});
