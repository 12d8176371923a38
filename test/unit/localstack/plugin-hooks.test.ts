import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const TESTS = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'embedded-localstack',
  'executor',
  'tests',
);

/**
 * The pure logic of the embedded LocalStack's hooks (EventBridge retries and dead letters, EMF
 * metric extraction) has Python unit tests next to it; they need no LocalStack, only Python.
 * Their behaviour inside LocalStack is tested by test/integration/ingress/eventbridge-dlq.test.ts.
 */
describe('embedded LocalStack hooks (Python unit tests)', () => {
  it('pass: delivery policy, EMF extraction and buffering, direct DynamoDB', () => {
    const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', TESTS, '-v'], {
      encoding: 'utf8',
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    const ran = Number(/Ran (\d+) tests?/.exec(output)?.[1] ?? 0);
    expect(ran).toBeGreaterThanOrEqual(26);
    expect(output).toMatch(/\nOK\s*$/);
  });
});
