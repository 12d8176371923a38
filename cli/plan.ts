import { parseArgs } from 'node:util';
import { planCapacity } from '../shared/capacity/plan.ts';
import type { Command } from './command.ts';
import { UsageError } from './usage.ts';

const USAGE = `lanes plan --rate <msg/s> --processing-ms <ms> [--batch 10] [--fifo --keys N] [--writes-per-key N]

  --rate N            messages per second to sustain
  --processing-ms N   time one message takes in the function
  --batch N           batch size (default 10)
  --fifo              a FIFO queue; --keys N active message groups cap its concurrency
  --writes-per-key N  DynamoDB writes per message on the message's key (hot-partition check)
  Exits 1 when the plan runs into an AWS limit (the warnings say which).`;

/**
 * `lanes plan --rate 500 --processing-ms 40 --batch 10 --fifo --keys 50`: the concurrency a
 * worker needs and the settings that carry it.
 */
export function plan(argv: string[], print = (line: string) => console.log(line)): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      rate: { type: 'string' },
      'processing-ms': { type: 'string' },
      batch: { type: 'string', default: '10' },
      fifo: { type: 'boolean', default: false },
      keys: { type: 'string' },
      'writes-per-key': { type: 'string', default: '0' },
    },
  });
  if (!values.rate || !values['processing-ms']) {
    throw new UsageError('lanes plan needs --rate and --processing-ms');
  }
  const plan = planCapacity({
    ratePerSecond: Number(values.rate),
    processingMs: Number(values['processing-ms']),
    batchSize: Number(values.batch),
    fifo: values.fifo,
    ...(values.keys ? { activeKeys: Number(values.keys) } : {}),
    writesPerMessagePerKey: Number(values['writes-per-key']),
  });
  print(
    `required concurrency   ${plan.requiredConcurrency} batches (partition ceiling ${plan.partitionCeiling})`,
  );
  print(
    `planned concurrency    ${plan.plannedConcurrency} -> sustains ${plan.sustainableRatePerSecond} msg/s`,
  );
  print('worker settings');
  for (const [name, value] of Object.entries(plan.settings)) print(`  ${name.padEnd(26)} ${value}`);
  for (const warning of plan.warnings) print(`warning: ${warning}`);
  return plan.warnings.length > 0 ? 1 : 0;
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'capacity plan: the concurrency and settings a worker needs for a rate',
  usage: USAGE,
  run: async (args, print) => plan(args, print),
};
