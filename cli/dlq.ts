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

/** Which dead-letter queue a `lanes dlq` command is about. */
interface DeadLetterSource {
  readonly label: string;
  readonly deadLetterQueueUrl: string;
  /** Where a redrive sends the messages back (workers only). */
  readonly queueUrl?: string;
}

/** The worker, ingress or schedule the options name, or a usage error naming the choices. */
async function pickSource(values: {
  worker?: string | undefined;
  ingress?: string | undefined;
  schedule?: string | undefined;
  stack?: string[] | undefined;
}): Promise<DeadLetterSource> {
  const app = await discoverApp({ stacks: values.stack });
  if (values.ingress !== undefined) {
    const ingress = pickByName('ingress', app.ingresses, values.ingress);
    return {
      label: `the EventBridge targets of ingress ${ingress.name}`,
      deadLetterQueueUrl: ingress.deadLetterQueueUrl,
    };
  }
  if (values.schedule !== undefined) {
    const schedule = pickByName('schedule', app.schedules, values.schedule);
    return {
      label: `the EventBridge target of schedule ${schedule.name}`,
      deadLetterQueueUrl: schedule.deadLetterQueueUrl,
    };
  }
  const worker = pickByName('worker', app.workers, values.worker);
  return {
    label: worker.name,
    deadLetterQueueUrl: worker.deadLetterQueueUrl,
    queueUrl: worker.queueUrl,
  };
}

/**
 * `lanes dlq list|redrive --worker <name>`: a worker's dead letters with their reason, or moving
 * them back to the worker's queue after the cause is fixed; `lanes dlq list --ingress <name>`
 * (or `--schedule <name>`): the events EventBridge could not deliver, with the error.
 */
export const dlqCommand: Command = {
  name: 'dlq',
  summary:
    'dead letters with their reason (workers, ingress and schedule targets); redrive them after a fix',
  usage: `lanes dlq list    --worker <name> | --ingress <name> | --schedule <name> [--max 100] [--stack NAME]
lanes dlq redrive --worker <name> [--strategy auto|move-task|client] [--stack NAME]

  --worker <name>   a worker's name (lanes watch lists them)
  --ingress <name>  an Ingress: events EventBridge could not deliver to its groups' queues
  --schedule <name> a singleton schedule: triggers EventBridge could not deliver
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
        ingress: { type: 'string' },
        schedule: { type: 'string' },
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
    const named = (['worker', 'ingress', 'schedule'] as const).filter(
      (k) => values[k] !== undefined,
    );
    if (named.length > 1) {
      throw new UsageError(
        `name one of --worker, --ingress and --schedule (given ${named.join(', ')})`,
      );
    }
    if (action === 'redrive' && values.worker === undefined && named.length === 1) {
      throw new UsageError(
        `lanes dlq redrive works on a worker's DLQ (given --${named[0]}): the DLQ of an ingress or schedule holds EventBridge events; fix the target, then publish them again (their bodies are the events)`,
      );
    }
    await connectToDeployedTarget();
    const source = await pickSource(values);
    if (action === 'list') {
      const letters = await listDeadLetters(source.deadLetterQueueUrl, { max });
      print(
        `${letters.length} message(s) in the DLQ of ${source.label} (${source.deadLetterQueueUrl})`,
      );
      for (const letter of letters) {
        const event = letter.event?.id
          ? `event ${letter.event.id} (${letter.event.type}, key ${letter.event.partitionKey}, seq ${letter.event.sequence})`
          : `message ${letter.messageId}`;
        const target = letter.reason.targetArn ? ` [target ${letter.reason.targetArn}]` : '';
        print(`- ${event}: ${letter.reason.errorName}: ${letter.reason.errorMessage}${target}`);
      }
      return 0;
    }
    if (!source.queueUrl) {
      throw new UsageError(
        `lanes dlq redrive works on a worker's DLQ; the DLQ of ${source.label} holds EventBridge events: fix the target, then publish them again (their bodies are the events)`,
      );
    }
    const report = await redriveDeadLetters({
      deadLetterQueueUrl: source.deadLetterQueueUrl,
      destinationQueueUrl: source.queueUrl,
      strategy: values.strategy as RedriveStrategy,
    });
    print(
      `moved ${report.moved} message(s) of ${source.label} with ${report.strategy}${report.fallbackReason ? ` (${report.fallbackReason})` : ''}`,
    );
    return 0;
  },
};
