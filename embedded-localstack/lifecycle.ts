import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { LocalStackError } from './errors.ts';
import { provisionLocalStack } from './provision.ts';
import {
  embeddedPort,
  LOCALSTACK_VERSION,
  localStackEnvironment,
  OWNER_PATH,
  PROJECT_ROOT,
  paths,
  STATE_DIR,
} from './settings.ts';

export { LocalStackError };

/**
 * Raised when the LocalStack on the embedded port was not started by this checkout: lanes does
 * not deploy into, or operate on, another checkout's (or a hand-started) LocalStack by accident.
 */
export class ForeignLocalStackError extends LocalStackError {
  override name = 'ForeignLocalStackError';
  public constructor(
    public readonly endpoint: string,
    public readonly owner: string | undefined,
  ) {
    const whose = owner
      ? `the checkout at ${owner}`
      : `no lanes checkout (it has no ${OWNER_PATH} route: started by hand, in Docker, or by an older lanes)`;
    super(
      `The LocalStack on ${endpoint} belongs to ${whose}, not to this checkout (${PROJECT_ROOT}); ` +
        'lanes does not act on a LocalStack this checkout did not start. Run this checkout on another ' +
        'port (LANES_LOCALSTACK_PORT=4567), stop that one where it was started, or, to use it on purpose, ' +
        `name it: LANES_ENDPOINT_URL=${endpoint}.`,
    );
  }
}

/** Where AWS calls go: the embedded LocalStack, an external endpoint, or real AWS. */
export type Target =
  | { kind: 'embedded'; endpoint: string; port: number }
  | { kind: 'external'; endpoint: string }
  | { kind: 'aws' };

/** Services the pipeline needs before LocalStack counts as ready. */
const REQUIRED_SERVICES = [
  'sqs',
  'dynamodb',
  'lambda',
  'events',
  'cloudformation',
  'stepfunctions',
  's3',
  'iam',
  'sts',
];
const HEALTH_TIMEOUT_MS = Number(process.env.LANES_LOCALSTACK_START_TIMEOUT_MS ?? 90_000);

/**
 * Decides the target from the environment: `LANES_TARGET=aws` is real AWS; `AWS_ENDPOINT_URL` or
 * `LANES_ENDPOINT_URL` is an external endpoint (e.g. LocalStack in Docker); otherwise the
 * embedded LocalStack on 127.0.0.1.
 */
export function resolveTarget(env: NodeJS.ProcessEnv = process.env): Target {
  if (env.LANES_TARGET === 'aws') return { kind: 'aws' };
  const external = env.LANES_ENDPOINT_URL || env.AWS_ENDPOINT_URL;
  if (external) return { kind: 'external', endpoint: external.replace(/\/$/, '') };
  const port = embeddedPort(env);
  return { kind: 'embedded', endpoint: `http://127.0.0.1:${port}`, port };
}

/**
 * Variables that send the AWS SDK, the CDK CLI and the AWS CLI to the target (dummy
 * credentials and account 000000000000 for LocalStack). Real AWS gets nothing: the default
 * credential chain applies.
 */
export function awsEnvironment(target: Target): Record<string, string> {
  if (target.kind === 'aws') return {};
  return {
    AWS_ENDPOINT_URL: target.endpoint,
    AWS_ENDPOINT_URL_S3: target.endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_DEFAULT_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    CDK_DEFAULT_ACCOUNT: '000000000000',
    CDK_DEFAULT_REGION: process.env.AWS_REGION ?? 'us-east-1',
  };
}

interface Health {
  services: Record<string, string>;
  version?: string;
}

async function fetchHealth(endpoint: string): Promise<Health | undefined> {
  try {
    const response = await fetch(`${endpoint}/_localstack/health`, {
      signal: AbortSignal.timeout(2_000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as Partial<Health>;
    return body.services ? (body as Health) : undefined;
  } catch {
    return undefined;
  }
}

/** The checkout that started the LocalStack at `endpoint` (our plugin's route), if it says. */
async function fetchOwner(endpoint: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${endpoint}${OWNER_PATH}`, {
      signal: AbortSignal.timeout(2_000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { checkout?: unknown };
    return typeof body.checkout === 'string' ? body.checkout : undefined;
  } catch {
    return undefined;
  }
}

/** Throws {@link ForeignLocalStackError} unless this checkout started the LocalStack at `endpoint`. */
async function assertOwnLocalStack(endpoint: string): Promise<void> {
  const owner = await fetchOwner(endpoint);
  if (owner !== PROJECT_ROOT) throw new ForeignLocalStackError(endpoint, owner);
}

/**
 * The target of commands that act on what is deployed without starting anything (`watch`,
 * `scale`, `dlq`, `workflow`). An embedded target must be running and be this checkout's;
 * an endpoint named with AWS_ENDPOINT_URL / LANES_ENDPOINT_URL, or real AWS, is used as given.
 *
 * @example
 * Object.assign(process.env, awsEnvironment(await operationsTarget()));
 */
export async function operationsTarget(env: NodeJS.ProcessEnv = process.env): Promise<Target> {
  const target = resolveTarget(env);
  if (target.kind !== 'embedded') return target;
  if (!(await fetchHealth(target.endpoint))) {
    throw new LocalStackError(
      `No LocalStack answers on ${target.endpoint}. Start this checkout's with \`npm run localstack:start\` ` +
        'and deploy (`npm run deploy`), or name another endpoint with LANES_ENDPOINT_URL.',
    );
  }
  await assertOwnLocalStack(target.endpoint);
  return target;
}

function isReady(health: Health | undefined): boolean {
  if (!health) return false;
  return REQUIRED_SERVICES.every((service) =>
    ['available', 'running'].includes(health.services[service] ?? ''),
  );
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

function logTail(lines = 40): string {
  if (!existsSync(paths.log)) return '(no log yet)';
  return readFileSync(paths.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** The pid file holds `<pid> <port>` of the LocalStack this project started. */
function readPidFile(): { pid: number; port: number } | undefined {
  if (!existsSync(paths.pidFile)) return undefined;
  const [pid, port] = readFileSync(paths.pidFile, 'utf8').trim().split(/\s+/).map(Number);
  return pid && Number.isInteger(pid) && pid > 0 ? { pid, port: port ?? 4566 } : undefined;
}

function readPid(): number | undefined {
  return readPidFile()?.pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What `lanes localstack status` reports. */
export interface LocalStackStatus {
  target: Target;
  running: boolean;
  /** The checkout that started it, when it is an embedded lanes LocalStack. */
  owner?: string;
  pid?: number;
  version?: string;
  services?: Record<string, string>;
}

/** Reports whether the target answers, and for the embedded one, its process. */
export async function localStackStatus(
  target: Target = resolveTarget(),
): Promise<LocalStackStatus> {
  if (target.kind === 'aws') return { target, running: true };
  const health = await fetchHealth(target.endpoint);
  const pid = readPid();
  const owner = health ? await fetchOwner(target.endpoint) : undefined;
  return {
    target,
    running: isReady(health),
    ...(owner ? { owner } : {}),
    ...(pid && alive(pid) ? { pid } : {}),
    ...(health?.version ? { version: health.version } : {}),
    ...(health ? { services: health.services } : {}),
  };
}

/** Result of {@link ensureLocalStack}: `started` is true when this call launched the process. */
export interface EnsuredLocalStack {
  target: Target;
  started: boolean;
  startMs: number;
}

/**
 * Makes sure the target answers. For the embedded target this provisions (first run), starts
 * LocalStack as a background process unless one already answers on the port, and waits for its
 * health; external endpoints are only checked, real AWS is not touched.
 *
 * @example
 * const { target } = await ensureLocalStack({ log: console.log });
 * Object.assign(process.env, awsEnvironment(target));
 */
export async function ensureLocalStack(
  options: {
    log?: (line: string) => void;
    /** The target to make sure of, resolved before the AWS variables were set to it. */
    target?: Target;
  } = {},
): Promise<EnsuredLocalStack> {
  const log = options.log ?? (() => {});
  const target = options.target ?? resolveTarget();
  const started = Date.now();
  if (target.kind === 'aws') return { target, started: false, startMs: 0 };
  if (target.kind === 'external') {
    if (!isReady(await fetchHealth(target.endpoint))) {
      throw new LocalStackError(
        `The endpoint ${target.endpoint} (from AWS_ENDPOINT_URL/LANES_ENDPOINT_URL) does not answer as a ready LocalStack ` +
          `(${target.endpoint}/_localstack/health). Start it, or unset the variable to use the embedded LocalStack.`,
      );
    }
    log(`[localstack] using the external endpoint ${target.endpoint}`);
    return { target, started: false, startMs: 0 };
  }
  if (isReady(await fetchHealth(target.endpoint))) {
    await assertOwnLocalStack(target.endpoint);
    log(`[localstack] already running on ${target.endpoint}`);
    return { target, started: false, startMs: 0 };
  }
  if (await portInUse(target.port)) {
    // Something answers on the port but it is not a ready LocalStack: maybe one still starting.
    const recorded = readPidFile();
    const pid = recorded?.port === target.port ? recorded.pid : undefined;
    if (pid && alive(pid)) {
      log(`[localstack] waiting for the LocalStack already starting (pid ${pid})`);
      await waitForHealth(target.endpoint, pid);
      return { target, started: false, startMs: Date.now() - started };
    }
    throw new LocalStackError(
      `Port ${target.port} on 127.0.0.1 is taken by another program that is not LocalStack. ` +
        `Stop it (find it with \`ss -ltnp 'sport = :${target.port}'\`), or run the embedded LocalStack on another port ` +
        'with LANES_LOCALSTACK_PORT=4567.',
    );
  }
  provisionLocalStack(log);
  const pid = startProcess(target.port);
  log(`[localstack] starting LocalStack ${LOCALSTACK_VERSION} (pid ${pid}, log ${paths.log})`);
  await waitForHealth(target.endpoint, pid);
  const startMs = Date.now() - started;
  log(`[localstack] ready on ${target.endpoint} after ${(startMs / 1000).toFixed(1)} s`);
  return { target, started: true, startMs };
}

function startProcess(port: number): number {
  mkdirSync(STATE_DIR, { recursive: true });
  mkdirSync(paths.tmpDir, { recursive: true });
  const logFd = openSync(paths.log, 'w');
  const child = spawn(paths.python, ['-m', 'localstack.runtime.main'], {
    cwd: STATE_DIR,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? STATE_DIR,
      LANG: process.env.LANG ?? 'C.UTF-8',
      ...localStackEnvironment(port),
    },
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  closeSync(logFd);
  child.unref();
  if (!child.pid) throw new LocalStackError(`Could not start ${paths.python}; see ${paths.log}`);
  writeFileSync(paths.pidFile, `${child.pid} ${port}`);
  return child.pid;
}

async function waitForHealth(endpoint: string, pid: number): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!alive(pid)) {
      throw new LocalStackError(
        `LocalStack (pid ${pid}) exited during startup. Last lines of ${paths.log}:\n${logTail()}\n` +
          'Fix the cause above; `npm run localstack:setup` re-provisions the environment.',
      );
    }
    if (isReady(await fetchHealth(endpoint))) return;
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
  }
  const health = await fetchHealth(endpoint);
  throw new LocalStackError(
    `LocalStack did not become ready on ${endpoint} within ${HEALTH_TIMEOUT_MS / 1000} s ` +
      `(services: ${health ? JSON.stringify(health.services) : 'no answer'}). Last lines of ${paths.log}:\n${logTail()}`,
  );
}

/**
 * Stops the embedded LocalStack (SIGTERM, then SIGKILL after 15 s) and any Lambda runtime
 * process it left behind. Does nothing for external targets.
 */
export async function stopLocalStack(
  options: { log?: (line: string) => void } = {},
): Promise<boolean> {
  const log = options.log ?? (() => {});
  const pid = readPid();
  let stopped = false;
  if (pid && alive(pid)) {
    process.kill(-pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (alive(pid)) {
      log(`[localstack] pid ${pid} did not stop within 15 s; killing it`);
      process.kill(-pid, 'SIGKILL');
    }
    stopped = true;
    log(`[localstack] stopped (pid ${pid})`);
  }
  rmSync(paths.pidFile, { force: true });
  killOrphanRuntimes(log);
  killOrphanDynamoDbLocals(log);
  return stopped;
}

/** A process as `/proc` shows it. */
export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly argv: readonly string[];
}

/**
 * This checkout's DynamoDB Local processes whose LocalStack is gone (they were handed to init,
 * pid 1): a LocalStack killed while it stopped can leave its DynamoDB Local running, a JVM with a
 * 1 GB heap listening on the loopback. Another checkout's (another jar path) and one whose
 * LocalStack still runs (its parent) are not picked.
 *
 * @example
 * orphanDynamoDbLocals([{ pid: 7, ppid: 1, argv: ['java', '-jar', `${paths.libDir}/x/DynamoDBLocal.jar`] }]); // [7]
 */
export function orphanDynamoDbLocals(
  processes: readonly ProcessEntry[],
  libDir: string = paths.libDir,
): number[] {
  return processes
    .filter(
      (entry) =>
        entry.ppid === 1 &&
        entry.argv.some((arg) => arg.startsWith(libDir) && arg.endsWith('DynamoDBLocal.jar')),
    )
    .map((entry) => entry.pid);
}

/** The processes this user can read in `/proc` (Linux); none elsewhere. */
function listProcesses(): ProcessEntry[] {
  if (!existsSync('/proc')) return [];
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": the command name may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      entries.push({ pid: Number(name), ppid, argv });
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return entries;
}

function killOrphanDynamoDbLocals(log: (line: string) => void): void {
  const pids = orphanDynamoDbLocals(listProcesses());
  for (const orphan of pids) {
    try {
      process.kill(orphan, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (pids.length > 0) log(`[localstack] ended ${pids.length} leftover DynamoDB Local process(es)`);
}

/** Lambda runtimes run in their own process groups; end any that outlived LocalStack. */
function killOrphanRuntimes(log: (line: string) => void): void {
  const listing = spawnSync('pgrep', ['-f', paths.bootstrap], { encoding: 'utf8' });
  const pids = (listing.stdout ?? '')
    .split('\n')
    .map(Number)
    .filter((p) => p > 0 && p !== process.pid);
  for (const orphan of pids) {
    try {
      process.kill(orphan, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (pids.length > 0) log(`[localstack] ended ${pids.length} leftover Lambda runtime process(es)`);
}
