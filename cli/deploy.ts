import { spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { awsEnvironment, type Target } from '../embedded-localstack/lifecycle.ts';
import { PROJECT_ROOT, STATE_DIR } from '../embedded-localstack/settings.ts';
import { LanesError } from '../shared/errors.ts';

/** Where `cdk deploy --outputs-file` writes every stack's outputs. */
export const OUTPUTS_FILE = resolve(STATE_DIR, 'outputs.json');
const DEPLOY_LOG = resolve(STATE_DIR, 'deploy.log');
const CDK_BIN = resolve(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');

/** Raised when `cdk bootstrap` or `cdk deploy` fails; carries the tail of the CDK output. */
export class DeployError extends LanesError {
  override name = 'DeployError';
}

/** Options of {@link deployAll}. */
export interface DeployOptions {
  /** Print CDK's own output as it comes (true for the CLI, false for tests). @default false */
  readonly verbose?: boolean;
  /** Progress lines (`[deploy] ...`). @default no output */
  readonly log?: (line: string) => void;
  /** Stacks to deploy. @default every stack of the app (`--all`) */
  readonly stacks?: readonly string[];
  /**
   * Another CDK app to deploy instead of the reference app (`cdk deploy --app`), with its own
   * cloud assembly folder; used for test-owned stacks.
   * @default - the app of cdk.json (infra/app.ts)
   */
  readonly app?: { readonly command: string; readonly output: string };
  /**
   * Stacks deployed at once, where they do not depend on each other (`cdk deploy --concurrency`).
   * @default 4
   */
  readonly concurrency?: number;
}

/** Independent stacks deploy side by side: the reference app's three take 35 s instead of 45 locally. */
const DEFAULT_DEPLOY_CONCURRENCY = 4;

/** Outputs of the deployed stacks, by stack name. */
export type StackOutputs = Record<string, Record<string, string>>;

function runCdk(
  args: string[],
  target: Target,
  options: DeployOptions,
  cwd = PROJECT_ROOT,
): Promise<void> {
  const log = options.log ?? (() => {});
  mkdirSync(STATE_DIR, { recursive: true });
  const logFile = createWriteStream(DEPLOY_LOG, { flags: 'a' });
  logFile.write(`\n$ cdk ${args.join(' ')}\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(CDK_BIN, args, {
      cwd,
      env: {
        ...process.env,
        ...awsEnvironment(target),
        CDK_DISABLE_VERSION_CHECK: '1',
        CI: 'true',
        // The SDK's "Node 22 soon" notice repeats for every stack; it is not actionable here.
        NODE_NO_WARNINGS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      logFile.write(text);
      if (options.verbose) process.stderr.write(text);
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        // Progress without the noise: one line per stack state change.
        const progress =
          /(\S+): (deploying|creating CloudFormation changeset)|✅\s+(\S+)|(\S+) \| \d+\/\d+ \|/.exec(
            line,
          );
        if (!options.verbose && progress && /✅|deploying/.test(line))
          log(`[deploy] ${line.trim()}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) =>
      reject(
        new DeployError(`Could not run ${CDK_BIN}: ${error.message}. Run npm ci.`, {
          cause: error,
        }),
      ),
    );
    child.on('close', (code) => {
      logFile.end();
      if (code === 0) resolvePromise();
      else if (tail.some((line) => line.includes('This app contains no stacks'))) {
        log('[deploy] the app has no stacks yet: nothing to deploy');
        resolvePromise();
      } else
        reject(
          new DeployError(
            `cdk ${args[0]} failed with exit code ${code}. Last lines (full log: ${DEPLOY_LOG}):\n${tail.join('\n')}`,
          ),
        );
    });
  });
}

/**
 * Bootstraps the target environment (once; CDK skips it when current) and deploys the app's
 * stacks, then returns their outputs. Works against the embedded LocalStack, an external
 * endpoint, or real AWS (`LANES_TARGET=aws`, the default credential chain and region).
 *
 * @example
 * const outputs = await deployAll(target, { log: console.log });
 * const queueUrl = outputs['Lanes-Pipeline']?.OrdersQueueUrl;
 */
export async function deployAll(
  target: Target,
  options: DeployOptions = {},
): Promise<StackOutputs> {
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? DEFAULT_DEPLOY_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new DeployError(`Deploy concurrency must be a positive integer (given ${concurrency}).`);
  }
  const started = Date.now();
  const region = process.env.AWS_REGION ?? 'us-east-1';
  if (target.kind !== 'aws') {
    log(`[deploy] bootstrapping aws://000000000000/${region} on ${target.endpoint}`);
    // Run outside the project: with an app that has no stacks yet, bootstrap would refuse.
    mkdirSync(STATE_DIR, { recursive: true });
    await runCdk(['bootstrap', `aws://000000000000/${region}`], target, options, STATE_DIR);
  }
  const stacks = options.stacks?.length ? [...options.stacks] : ['--all'];
  log(`[deploy] deploying ${stacks.join(' ')} (progress in ${DEPLOY_LOG})`);
  // CDK rewrites its outputs file with only the stacks of this deploy; merge it into ours so a
  // one-stack deploy does not drop the outputs of the others.
  const deployOutputs = resolve(STATE_DIR, `outputs.${process.pid}.json`);
  await runCdk(
    [
      'deploy',
      ...stacks,
      '--require-approval',
      'never',
      '--outputs-file',
      deployOutputs,
      '--progress',
      'events',
      '--concurrency',
      String(concurrency),
      ...(options.app ? ['--app', options.app.command, '--output', options.app.output] : []),
    ],
    target,
    options,
  );
  const merged: StackOutputs = {
    ...(existsSync(OUTPUTS_FILE) ? readOutputs() : {}),
    ...(existsSync(deployOutputs)
      ? (JSON.parse(readFileSync(deployOutputs, 'utf8')) as StackOutputs)
      : {}),
  };
  writeFileSync(OUTPUTS_FILE, `${JSON.stringify(merged, null, 2)}\n`);
  rmSync(deployOutputs, { force: true });
  log(`[deploy] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return merged;
}

/** Outputs written by the last deploy. */
export function readOutputs(): StackOutputs {
  if (!existsSync(OUTPUTS_FILE))
    throw new DeployError(`No ${OUTPUTS_FILE}: deploy first (npm run deploy).`);
  return JSON.parse(readFileSync(OUTPUTS_FILE, 'utf8')) as StackOutputs;
}
