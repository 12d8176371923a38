import {
  ensureLocalStack,
  localStackStatus,
  resolveTarget,
  stopLocalStack,
} from '../embedded-localstack/lifecycle.ts';
import { provisionLocalStack } from '../embedded-localstack/provision.ts';
import { paths } from '../embedded-localstack/settings.ts';
import type { Command } from './command.ts';
import { UsageError } from './usage.ts';

export const localstackCommand: Command = {
  name: 'localstack',
  summary: 'provision, start, stop or inspect the embedded LocalStack (no Docker)',
  usage: `lanes localstack setup|start|status|stop

  setup    provision: Python venv with the pinned LocalStack, the Lambda executor plugin, DynamoDB Local
  start    start it in the background on 127.0.0.1 (LANES_LOCALSTACK_PORT, default 4566) and wait until healthy
  status   show the target, the process, its owner (the checkout that started it) and the services
  stop     stop it, and any Lambda runtime process it left behind`,
  async run(args, print) {
    const [action, ...rest] = args;
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    switch (action) {
      case 'setup':
        provisionLocalStack(print);
        print(`[localstack] provisioned (${paths.venv})`);
        return 0;
      case 'start':
        await ensureLocalStack({ log: print });
        return 0;
      case 'stop':
        if (!(await stopLocalStack({ log: print }))) print('[localstack] was not running');
        return 0;
      case 'status': {
        const status = await localStackStatus(resolveTarget());
        print(JSON.stringify(status, null, 2));
        return status.running ? 0 : 1;
      }
      default:
        throw new UsageError(
          `lanes localstack needs setup, start, status or stop (given ${action ?? 'nothing'})`,
        );
    }
  },
};
