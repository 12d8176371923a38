import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const TSX = 'node_modules/.bin/tsx';

/** A holder process (support/holder-process.ts) and its JSON output lines. */
export interface HolderChild {
  readonly process: ChildProcessWithoutNullStreams;
  /** Resolves with the next JSON line the child prints. */
  next(): Promise<Record<string, unknown>>;
  send(line: string): void;
  kill(): Promise<void>;
}

export function startHolder(args: string[]): HolderChild {
  const child = spawn(TSX, ['test/integration/coordination/support/holder-process.ts', ...args], {
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  return {
    process: child,
    next: () =>
      new Promise((resolve, reject) => {
        const parse = (line: string) => resolve(JSON.parse(line) as Record<string, unknown>);
        const queued = lines.shift();
        if (queued !== undefined) return parse(queued);
        waiters.push(parse);
        child.once('exit', (code) =>
          reject(new Error(`holder process exited with ${code} before printing: ${stderr}`)),
        );
      }),
    send: (line) => child.stdin.write(`${line}\n`),
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
