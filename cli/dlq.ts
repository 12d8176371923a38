import { parseArgs } from 'node:util';
import { listDeadLetters } from '../shared/dlq/list.ts';
import {
  REDRIVE_STRATEGY,
  type RedriveStrategy,
  redriveDeadLetters,
} from '../shared/dlq/redrive.ts';
import type { Command } from './command.ts';
import { discoverApp, pickByName } from './discovery.ts';
import { connectToDeployedTarget } from './target.ts';
import { integerOption, UsageError } from './usage.ts';

/**
 * `lanes dlq list|redrive --worker <name>`: a worker's dead letters with their reason, or moving
 * them back to the worker's queue after the cause is fixed.
 */
export const dlqCommand: Command = {
  name: 'dlq',
  summary: "a worker's dead letters with their reason; redrive them after a fix",
  usage: `lanes dlq list    --worker <name> [--max 100] [--stack NAME]
lanes dlq redrive --worker <name> [--strategy auto|move-task|client] [--stack NAME]

  --worker <name>   a worker's name (lanes watch lists them)
  --max N           dead letters to show (default 100)
  --strategy S      auto (default): SQS's move task, or a client-side copy where it is missing`,
  async run(args, print) {
    const [action, ...rest] = args;
    if (action !== 'list' && action !== 'redrive') {
      throw new UsageError(`lanes dlq needs list or redrive (given ${action ?? 'nothing'})`);
    }
    const { values } = parseArgs({
      args: rest,
      options: {
        worker: { type: 'string' },
        max: { type: 'string', default: '100' },
        strategy: { type: 'string', default: REDRIVE_STRATEGY.AUTO },
        stack: { type: 'string', multiple: true },
      },
    });
    const max = integerOption('max', values.max, { min: 1 }) ?? 100;
    const strategies = Object.values(REDRIVE_STRATEGY) as string[];
    if (!strategies.includes(values.strategy)) {
      throw new UsageError(
        `--strategy must be one of ${strategies.join(', ')} (given ${values.strategy})`,
      );
    }
    await connectToDeployedTarget();
    const { workers } = await discoverApp({ stacks: values.stack });
    const worker = pickByName('worker', workers, values.worker);
    if (action === 'list') {
      const letters = await listDeadLetters(worker.deadLetterQueueUrl, { max });
      print(
        `${letters.length} message(s) in the DLQ of ${worker.name} (${worker.deadLetterQueueUrl})`,
      );
      for (const letter of letters) {
        const event = letter.event?.id
          ? `event ${letter.event.id} (${letter.event.type}, key ${letter.event.partitionKey}, seq ${letter.event.sequence})`
          : `message ${letter.messageId}`;
        print(`- ${event}: ${letter.reason.errorName}: ${letter.reason.errorMessage}`);
      }
      return 0;
    }
    const report = await redriveDeadLetters({
      deadLetterQueueUrl: worker.deadLetterQueueUrl,
      destinationQueueUrl: worker.queueUrl,
      strategy: values.strategy as RedriveStrategy,
    });
    print(
      `moved ${report.moved} message(s) of ${worker.name} with ${report.strategy}${report.fallbackReason ? ` (${report.fallbackReason})` : ''}`,
    );
    return 0;
  },
};
