import { deployAll } from '#cli/deploy.ts';
import { awsEnvironment, ensureLocalStack } from '#localstack/lifecycle.ts';

/**
 * What a benchmark runs against: the embedded LocalStack (started when none answers) or the
 * endpoint AWS_ENDPOINT_URL names. Points this process's SDK environment at it, so clients
 * created afterwards use it, and with `stack` deploys that stack and returns its outputs.
 * Progress goes to stderr, the results to stdout.
 *
 * @example
 * const outputs = await benchTarget('Lanes-Pipeline');
 */
export async function benchTarget(): Promise<undefined>;
export async function benchTarget(stack: string): Promise<Record<string, string>>;
export async function benchTarget(stack?: string): Promise<Record<string, string> | undefined> {
  const log = (line: string) => console.error(line);
  const { target } = await ensureLocalStack({ log });
  Object.assign(process.env, awsEnvironment(target));
  if (stack === undefined) return undefined;
  const outputs = (await deployAll(target, { log, stacks: [stack] }))[stack];
  if (!outputs) throw new Error(`${stack} has no outputs after deploy`);
  return outputs;
}
