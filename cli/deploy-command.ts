import { parseArgs } from 'node:util';
import { ensureLocalStack } from '../embedded-localstack/lifecycle.ts';
import type { Command } from './command.ts';
import { deployAll } from './deploy.ts';

export const deployCommand: Command = {
  name: 'deploy',
  summary: "deploy the app's stacks (cdk bootstrap + cdk deploy) to the target",
  usage: `lanes deploy [--stack NAME]... [--verbose]

  Deploys the CDK app of the current project (its cdk.json) to the target: the embedded LocalStack
  (started if needed), the endpoint in AWS_ENDPOINT_URL/LANES_ENDPOINT_URL, or AWS (LANES_TARGET=aws).
  Stack outputs are merged into .lanes/outputs.json.
  --stack NAME   deploy only this stack (repeatable; default: every stack)
  --verbose      print CDK's own output as it comes`,
  async run(args, print) {
    const { values } = parseArgs({
      args,
      options: {
        stack: { type: 'string', multiple: true },
        verbose: { type: 'boolean', default: false },
      },
    });
    const { target } = await ensureLocalStack({ log: print });
    await deployAll(target, {
      log: print,
      verbose: values.verbose,
      ...(values.stack ? { stacks: values.stack } : {}),
    });
    return 0;
  },
};
