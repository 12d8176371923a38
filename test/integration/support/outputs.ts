import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where `cdk deploy --outputs-file` writes the deployed stacks' outputs. */
export const OUTPUTS_FILE = resolve(process.cwd(), '.lanes', 'outputs.json');

/**
 * The CloudFormation outputs of a deployed reference stack, read from the file the global setup
 * wrote after `cdk deploy --all`.
 *
 * @example
 * const { OrdersQueueUrl } = stackOutputs('Lanes-Pipeline');
 */
export function stackOutputs(stackName: string): Record<string, string> {
  const all = JSON.parse(readFileSync(OUTPUTS_FILE, 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  const outputs = all[stackName];
  if (!outputs) {
    throw new Error(
      `Stack ${stackName} has no outputs in ${OUTPUTS_FILE} (found: ${Object.keys(all).join(', ') || 'none'}). ` +
        'Is it registered in examples/orders/infra/app.ts?',
    );
  }
  return outputs;
}

/** One output of a stack; fails with the stack and key names when missing. */
export function stackOutput(stackName: string, key: string): string {
  const value = stackOutputs(stackName)[key];
  if (value === undefined) throw new Error(`Stack ${stackName} has no output named ${key}`);
  return value;
}
