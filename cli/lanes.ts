/**
 * `lanes`: run the embedded LocalStack, deploy, and run the demo.
 *
 * @example
 * npx lanes localstack start
 * npx lanes demo --events 300 --keys 20
 */
import { parseArgs } from 'node:util';
import {
  awsEnvironment,
  ensureLocalStack,
  localStackStatus,
  operationsTarget,
  resolveTarget,
  stopLocalStack,
} from '#localstack/lifecycle.ts';
import { provisionLocalStack } from '#localstack/provision.ts';
import { paths } from '#localstack/settings.ts';
import { deployAll } from './deploy.ts';

const USAGE = `lanes <command>

  localstack setup     provision the embedded LocalStack (Python venv, DynamoDB Local, executor)
  localstack start     start it in the background (no-op when it already runs)
  localstack status    show whether it answers and which services are up
  localstack stop      stop it and any Lambda runtime process it left
  deploy               deploy every reference stack to the target
  demo                 start LocalStack if needed, deploy, publish events and report
      --events N         events to publish (default 300)
      --keys N           partition keys (default 20)
      --mode M           direct | eventbridge (default direct)
  watch                queue depth, DLQ depth and concurrency of each worker, every 2 s
      --interval S --count N
  scale <worker>       change caps at run time: --reserved N --max-concurrency N
  dlq list|redrive     dead letters with their reason; move them back after a fix
      --worker orders|notifications  --strategy auto|move-task|client
  plan                 capacity plan: --rate N --processing-ms N [--batch 10] [--fifo --keys N]
  simulate <workload>  virtual-clock model of the synthesized app at AWS scale: summary, series, SVG
      --stack NAME --synth --out DIR --per-event
  workflow show <key>  status and step history of the workflows of a business key

Target: the embedded LocalStack on 127.0.0.1:4566 unless AWS_ENDPOINT_URL or LANES_ENDPOINT_URL
names another endpoint, or LANES_TARGET=aws selects real AWS.`;

const log = (line: string) => console.log(line);

async function main(argv: string[]): Promise<number> {
  const [command, subcommand] = argv;
  switch (command) {
    case 'localstack':
      return localstack(subcommand);
    case 'deploy': {
      const { target } = await ensureLocalStack({ log });
      await deployAll(target, { log });
      return 0;
    }
    case 'demo':
      return demo(argv.slice(1));
    case 'plan':
      return (await import('./plan.ts')).planCommand(argv.slice(1));
    case 'simulate':
      return (await import('./simulate.ts')).simulateCommand(argv.slice(1));
    case 'workflow': {
      Object.assign(process.env, awsEnvironment(await operationsTarget()));
      const key = argv[2];
      if (subcommand !== 'show' || !key)
        throw new Error('usage: lanes workflow show <business-key>');
      await (await import('./workflow.ts')).showWorkflow(key);
      return process.exitCode === 1 ? 1 : 0;
    }
    case 'watch':
    case 'scale':
    case 'dlq': {
      // Operations on a deployed pipeline: point the SDK at the target, start nothing.
      Object.assign(process.env, awsEnvironment(await operationsTarget()));
      if (command === 'dlq') return (await import('./dlq.ts')).dlqCommand(argv.slice(1));
      const ops = await import('./ops.ts');
      return command === 'watch'
        ? ops.watchCommand(argv.slice(1))
        : ops.scaleCommand(argv.slice(1));
    }
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
    default:
      console.error(`Unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

async function localstack(subcommand: string | undefined): Promise<number> {
  switch (subcommand) {
    case 'setup':
      provisionLocalStack(log);
      log(`[localstack] provisioned (${paths.venv})`);
      return 0;
    case 'start':
      await ensureLocalStack({ log });
      return 0;
    case 'stop':
      if (!(await stopLocalStack({ log }))) log('[localstack] was not running');
      return 0;
    case 'status': {
      const status = await localStackStatus(resolveTarget());
      console.log(JSON.stringify(status, null, 2));
      return status.running ? 0 : 1;
    }
    default:
      console.error(`Unknown: lanes localstack ${subcommand ?? ''}\n\n${USAGE}`);
      return 2;
  }
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '300' },
      keys: { type: 'string', default: '20' },
      mode: { type: 'string', default: 'direct' },
    },
  });
  const events = Number(values.events);
  const keys = Number(values.keys);
  if (!Number.isInteger(events) || events < 1)
    throw new Error(`--events must be a positive integer (given ${values.events})`);
  if (!Number.isInteger(keys) || keys < 1)
    throw new Error(`--keys must be a positive integer (given ${values.keys})`);
  if (values.mode !== 'direct' && values.mode !== 'eventbridge') {
    throw new Error(`--mode must be direct or eventbridge (given ${values.mode})`);
  }
  const { target } = await ensureLocalStack({ log });
  Object.assign(process.env, awsEnvironment(target));
  await deployAll(target, { log });
  const { runDemo } = await import('./demo.ts');
  const report = await runDemo({ events, keys, mode: values.mode });
  return report.processed === events && report.failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
