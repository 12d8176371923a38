import { readdirSync, readFileSync } from 'node:fs';
import { embeddedPort, paths } from '#localstack/settings.ts';

/**
 * The pid of the embedded LocalStack this checkout started on this run's port (from its pid file,
 * `<pid> <port>`). The fault suite kills and pauses only children of this process.
 */
export function ownLocalStackPid(): number {
  let recorded: string;
  try {
    recorded = readFileSync(paths.pidFile, 'utf8').trim();
  } catch {
    throw new Error(
      `No ${paths.pidFile}: the fault suite needs the embedded LocalStack started by this checkout (unset AWS_ENDPOINT_URL).`,
    );
  }
  const [pid, port] = recorded.split(/\s+/).map(Number);
  if (!pid || port !== embeddedPort()) {
    throw new Error(
      `${paths.pidFile} names pid ${pid} on port ${port}, not this run's port ${embeddedPort()}: refusing to touch another LocalStack.`,
    );
  }
  return pid;
}

function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function environmentOf(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/**
 * Pids of the Lambda runtime processes (the lanes-process executor's children) of one function,
 * under this checkout's LocalStack only: direct children of its pid whose environment names the
 * function. Linux only (/proc).
 *
 * @example
 * for (const pid of runtimeProcesses(functionName)) process.kill(pid, 'SIGKILL');
 */
export function runtimeProcesses(functionName: string): number[] {
  const localstack = ownLocalStackPid();
  const wanted = `AWS_LAMBDA_FUNCTION_NAME=${functionName}`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && parentOf(entry) === localstack)
    .filter((entry) => environmentOf(entry).includes(wanted))
    .map(Number);
}
