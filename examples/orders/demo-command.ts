/**
 * `npm run demo`: start the embedded LocalStack if needed, deploy the reference app, publish
 * order events and report. Exits 0 when every event was processed and none failed.
 *
 * @example
 * node bin/lanes-dev.mjs examples/orders/demo-command.ts --events 300 --keys 20 --mode direct
 */
import { parseArgs } from 'node:util';
import { awsEnvironment, ensureLocalStack } from 'lanes/localstack';
import { deployAll } from 'lanes/ops';
import { runDemo } from './demo.ts';

const USAGE = `npm run demo -- [--events N] [--keys N] [--mode direct|eventbridge]

  --events N   events to publish (default 300)
  --keys N     partition keys, i.e. customers (default 20)
  --mode M     direct (SQS FIFO, group = key) or eventbridge (lanes over EventBridge); default direct`;

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`--${name} must be a positive integer (given ${raw})\n\n${USAGE}`);
  }
  return value;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '300' },
      keys: { type: 'string', default: '20' },
      mode: { type: 'string', default: 'direct' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const events = positiveInteger('events', values.events);
  const keys = positiveInteger('keys', values.keys);
  if (values.mode !== 'direct' && values.mode !== 'eventbridge') {
    throw new RangeError(`--mode must be direct or eventbridge (given ${values.mode})\n\n${USAGE}`);
  }
  const log = (line: string) => console.log(line);
  const { target } = await ensureLocalStack({ log });
  Object.assign(process.env, awsEnvironment(target));
  await deployAll(target, { log });
  const report = await runDemo({ events, keys, mode: values.mode });
  return report.processed === events && report.failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(error instanceof RangeError || error instanceof TypeError ? 2 : 1);
  },
);
