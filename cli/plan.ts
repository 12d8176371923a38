import { parseArgs } from 'node:util';
import { planCapacity } from '../shared/capacity/plan.ts';

/**
 * `lanes plan --rate 500 --processing-ms 40 --batch 10 --fifo --keys 50`: the concurrency a
 * worker needs and the settings that carry it.
 */
export function planCommand(argv: string[], print = (line: string) => console.log(line)): number {
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
    throw new Error(
      'usage: lanes plan --rate <msg/s> --processing-ms <ms> [--batch 10] [--fifo --keys N] [--writes-per-key N]',
    );
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
