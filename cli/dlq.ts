import { parseArgs } from 'node:util';
import { listDeadLetters } from '../shared/dlq/list.ts';
import {
  REDRIVE_STRATEGY,
  type RedriveStrategy,
  redriveDeadLetters,
} from '../shared/dlq/redrive.ts';
import { readOutputs } from './deploy.ts';

/** Workers of Lanes-Pipeline whose dead-letter queues the CLI knows by name. */
const WORKERS = {
  orders: { queue: 'OrdersQueueUrl', dlq: 'OrdersDlqUrl' },
  notifications: { queue: 'NotificationsQueueUrl', dlq: 'NotificationsDlqUrl' },
} as const;

const USAGE = `usage: lanes dlq list    [--worker orders|notifications] [--max 100]
       lanes dlq redrive [--worker orders|notifications] [--strategy auto|move-task|client]`;

/**
 * `lanes dlq list|redrive`: shows the dead letters of a Lanes-Pipeline worker with their reason, or
 * moves them back to the worker's queue (after the cause is fixed).
 *
 * @example
 * await dlqCommand(['list', '--worker', 'orders']);
 */
export async function dlqCommand(
  argv: string[],
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      worker: { type: 'string', default: 'orders' },
      max: { type: 'string', default: '100' },
      strategy: { type: 'string', default: REDRIVE_STRATEGY.AUTO },
    },
  });
  const worker = WORKERS[values.worker as keyof typeof WORKERS];
  if (!worker)
    throw new Error(
      `--worker must be one of ${Object.keys(WORKERS).join(', ')} (given ${values.worker})`,
    );
  const outputs = readOutputs()['Lanes-Pipeline'];
  if (!outputs) throw new Error('No outputs for Lanes-Pipeline: deploy it first (npm run deploy).');
  const dlqUrl = outputs[worker.dlq] as string;

  if (action === 'list') {
    const max = Number(values.max);
    if (!Number.isInteger(max) || max < 1)
      throw new Error(`--max must be a positive integer (given ${values.max})`);
    const letters = await listDeadLetters(dlqUrl, { max });
    print(`${letters.length} message(s) in ${dlqUrl}`);
    for (const letter of letters) {
      const event = letter.event?.id
        ? `event ${letter.event.id} (${letter.event.type}, key ${letter.event.partitionKey}, seq ${letter.event.sequence})`
        : `message ${letter.messageId}`;
      print(`- ${event}: ${letter.reason.errorName}: ${letter.reason.errorMessage}`);
    }
    return 0;
  }
  if (action === 'redrive') {
    const strategies = Object.values(REDRIVE_STRATEGY) as string[];
    if (!strategies.includes(values.strategy)) {
      throw new Error(
        `--strategy must be one of ${strategies.join(', ')} (given ${values.strategy})`,
      );
    }
    const report = await redriveDeadLetters({
      deadLetterQueueUrl: dlqUrl,
      destinationQueueUrl: outputs[worker.queue] as string,
      strategy: values.strategy as RedriveStrategy,
    });
    print(
      `moved ${report.moved} message(s) with ${report.strategy}${report.fallbackReason ? ` (${report.fallbackReason})` : ''}`,
    );
    return 0;
  }
  print(USAGE);
  return 2;
}
