import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { zipFiles } from '#test/integration/support/zip.ts';

/**
 * The lanes-process Lambda executor (embedded-localstack/executor), exercised through the real
 * Lambda API of LocalStack: functions are created from zips and invoked like on AWS.
 */
const lambda = new LambdaClient({});
const created: string[] = [];
const runId = Date.now().toString(36);

async function createFunction(
  suffix: string,
  files: Record<string, string>,
  options: { handler?: string; timeoutSeconds?: number; environment?: Record<string, string> } = {},
): Promise<string> {
  const name = `lanes-executor-${suffix}-${runId}`;
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Handler: options.handler ?? 'index.handler',
      Role: 'arn:aws:iam::000000000000:role/lanes-executor-test',
      Code: { ZipFile: zipFiles(files) },
      Timeout: options.timeoutSeconds ?? 10,
      Environment: { Variables: options.environment ?? {} },
    }),
  );
  created.push(name);
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: name });
  return name;
}

async function invoke(
  name: string,
  event: unknown = {},
): Promise<{ raw: InvokeCommandOutput; body: unknown; logs: string }> {
  const raw = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(event), LogType: 'Tail' }),
  );
  const text = Buffer.from(raw.Payload ?? []).toString('utf8');
  return {
    raw,
    body: text ? JSON.parse(text) : undefined,
    logs: raw.LogResult ? Buffer.from(raw.LogResult, 'base64').toString('utf8') : '',
  };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  await Promise.all(
    created.map((name) =>
      lambda.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => {}),
    ),
  );
});

describe('lanes-process executor', () => {
  it('resolves a nested ESM handler, passes environment variables and returns the tail of the logs', async () => {
    const name = await createFunction(
      'esm',
      {
        'src/app.mjs': `export const main = async (event, context) => {
          console.log('handling', event.n);
          return { n: event.n, greeting: process.env.GREETING, requestId: context.awsRequestId,
                   remainingMs: context.getRemainingTimeInMillis(), taskRoot: process.env.LAMBDA_TASK_ROOT };
        };`,
      },
      { handler: 'src/app.main', environment: { GREETING: 'hello from lanes' } },
    );

    const { raw, body, logs } = await invoke(name, { n: 7 });

    expect(raw.FunctionError).toBeUndefined();
    expect(body).toMatchObject({ n: 7, greeting: 'hello from lanes' });
    const result = body as { requestId: string; remainingMs: number; taskRoot: string };
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.remainingMs).toBeGreaterThan(0);
    expect(result.remainingMs).toBeLessThanOrEqual(10_000);
    expect(logs).toContain('handling 7');
  });

  it('returns a thrown error with its type, message and stack', async () => {
    const name = await createFunction('throws', {
      'index.js': `exports.handler = async () => { throw new RangeError('amount must be positive (given -5)'); };`,
    });

    const { raw, body } = await invoke(name);

    expect(raw.FunctionError).toBe('Unhandled');
    expect(body).toMatchObject({
      errorType: 'RangeError',
      errorMessage: 'amount must be positive (given -5)',
    });
    expect((body as { stackTrace: string[] }).stackTrace.join('\n')).toContain('index.js');
  });

  it('reports an init error from the module top level on invocation', async () => {
    const name = await createFunction('init-error', {
      'index.js': `throw new Error('missing configuration TABLE_NAME');\nexports.handler = async () => 'never';`,
    });

    const { raw, body } = await invoke(name);

    expect(raw.FunctionError).toBe('Unhandled');
    expect(body).toMatchObject({ errorMessage: 'missing configuration TABLE_NAME' });
  });

  it('reports a missing handler module as Runtime.ImportModuleError', async () => {
    const name = await createFunction('no-module', {
      'other.js': 'exports.handler = async () => 1;',
    });

    const { raw, body } = await invoke(name);

    expect(raw.FunctionError).toBe('Unhandled');
    expect(body).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    expect((body as { errorMessage: string }).errorMessage).toContain("Cannot find module 'index'");
  });

  it('times out a slow invocation and replaces the process for the next one', async () => {
    const name = await createFunction(
      'timeout',
      {
        'index.js': `exports.handler = async (event) => {
          await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
          return { pid: process.pid };
        };`,
      },
      { timeoutSeconds: 1 },
    );
    const first = await invoke(name, { sleepMs: 0 });
    const firstPid = (first.body as { pid: number }).pid;

    const started = Date.now();
    const slow = await invoke(name, { sleepMs: 5_000 });
    const elapsedMs = Date.now() - started;

    expect(slow.raw.FunctionError).toBe('Unhandled');
    expect(slow.body).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect((slow.body as { errorMessage: string }).errorMessage).toContain(
      'Task timed out after 1.00 seconds',
    );
    expect(elapsedMs).toBeLessThan(4_000);
    expect(processExists(firstPid)).toBe(false);

    const after = await invoke(name, { sleepMs: 0 });
    expect(after.raw.FunctionError).toBeUndefined();
    expect((after.body as { pid: number }).pid).not.toBe(firstPid);
  });

  it('ends the process when the handler answers its own timeout, so the work it abandoned never writes', async () => {
    const marker = join(tmpdir(), `lanes-abandoned-${runId}`);
    const name = await createFunction(
      'own-timeout',
      {
        'index.js': `const fs = require('node:fs');
        exports.handler = async (event) => {
          if (event.mode === 'error') throw new RangeError('ordinary failure');
          if (event.mode === 'pid') return { pid: process.pid };
          // Like middy's early timeout: give up on the work, answer TimeoutError, leave it running.
          setTimeout(() => fs.writeFileSync(event.marker, 'late write'), 1_500);
          const error = new Error('[AbortError]: The operation was aborted.');
          error.name = 'TimeoutError';
          throw error;
        };`,
      },
      { timeoutSeconds: 5 },
    );
    const { body: first } = await invoke(name, { mode: 'pid' });
    const pid = (first as { pid: number }).pid;
    // An ordinary error keeps the process (AWS reuses the environment too).
    const failed = await invoke(name, { mode: 'error' });
    expect(failed.body).toMatchObject({ errorType: 'RangeError' });
    expect(processExists(pid)).toBe(true);

    const timedOut = await invoke(name, { mode: 'timeout', marker });

    expect(timedOut.raw.FunctionError).toBe('Unhandled');
    expect(timedOut.body).toMatchObject({ errorType: 'TimeoutError' });
    expect(processExists(pid)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(existsSync(marker)).toBe(false);
    const { body: after } = await invoke(name, { mode: 'pid' });
    expect((after as { pid: number }).pid).not.toBe(pid);
  });

  it('runs 4 concurrent invocations of one function in parallel, one per process', async () => {
    const name = await createFunction('parallel', {
      'index.js': `exports.handler = async () => {
        const startedAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return { pid: process.pid, startedAt, endedAt: Date.now() };
      };`,
    });

    const results = await Promise.all([1, 2, 3, 4].map(() => invoke(name)));
    const spans = results.map((r) => r.body as { pid: number; startedAt: number; endedAt: number });

    expect(results.every((r) => r.raw.FunctionError === undefined)).toBe(true);
    expect(new Set(spans.map((s) => s.pid)).size).toBe(4);
    // Measured overlap: the latest start comes before the earliest end, so all 4 ran at once.
    const latestStart = Math.max(...spans.map((s) => s.startedAt));
    const earliestEnd = Math.min(...spans.map((s) => s.endedAt));
    expect(latestStart).toBeLessThan(earliestEnd);
    console.info(`4 invocations overlapped for ${earliestEnd - latestStart} ms`);
  });

  it('stops the runtime process when the function is deleted (no orphan)', async () => {
    const name = await createFunction('cleanup', {
      'index.js': 'exports.handler = async () => ({ pid: process.pid });',
    });
    const { body } = await invoke(name);
    const pid = (body as { pid: number }).pid;
    expect(processExists(pid)).toBe(true);

    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));

    const deadline = Date.now() + 10_000;
    while (processExists(pid) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(processExists(pid)).toBe(false);
  });
});
