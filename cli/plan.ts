import { parseArgs } from 'node:util';
import { PlanInputError } from '../shared/capacity/errors.ts';
import {
  type CapacityPlan,
  PLAN_INGRESS,
  type PlanIngress,
  planCapacity,
} from '../shared/capacity/plan.ts';
import type { Command, Print } from './command.ts';
import { integerOption, UsageError } from './usage.ts';

const USAGE = `lanes plan --rate <msg/s> --processing-ms <ms> [options]

  --rate N                  messages per second to sustain
  --processing-ms N         time one message takes in the function
  --batch N                 batch size (default 10)
  --fifo                    a FIFO queue; --keys N active message groups cap its concurrency
  --keys N                  active partition keys (FIFO groups, or tenants with --ingress fair)
  --ingress MODE            direct (default), eventbridge (FIFO groups are lanes) or fair
                            (a standard queue with MessageGroupId = tenant: SQS fair queues)
  --lanes N                 lanes of the Ingress in eventbridge mode (default 8, at most 100)
  --fifo-throughput MODE    high (default, what the Worker creates) or default (300 calls/s)
  --region NAME             for the high-throughput FIFO and PutEvents quotas (default us-east-1)
  --fifo-calls-per-second N your account's FIFO quota per action (overrides the table)
  --timeout S               function timeout in seconds (default 3 x one batch; at most 900)
  --batching-window S       maximum batching window in seconds (standard queues)
  --account-concurrency N   the account's Lambda concurrency (default 1000; new accounts less)
  --provisioned             plan provisioned pollers instead of a maximum concurrency
  --min-pollers N           provisioned pollers kept ready (2..200, default 2)
  --tenant-limit K          fair mode with limit(K) per tenant (the runtime's keyConcurrency)
  --writes-per-key N        DynamoDB writes per message on the message's key (hot-partition check)
  --strict                  exit 1 when the plan has warnings (default: warnings exit 0)
  The numbers the plan checks are in docs/aws-limits.md.`;

/** A number option, at least 0 (above 0 with `positive`), or a UsageError naming the option. */
function numberOption(
  name: string,
  raw: string | undefined,
  { positive = false }: { readonly positive?: boolean } = {},
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    const kind = positive ? 'a positive' : 'a non-negative';
    throw new UsageError(`--${name} must be ${kind} number (given ${JSON.stringify(raw)})`);
  }
  return value;
}

/** The plan as `lanes plan` prints it. */
export function formatPlan(plan: CapacityPlan, print: Print): void {
  print(
    `required concurrency   ${plan.requiredConcurrency} batches (partition ceiling ${plan.partitionCeiling})`,
  );
  print(
    `planned concurrency    ${plan.plannedConcurrency} -> sustains ${plan.sustainableRatePerSecond} msg/s`,
  );
  if (Number.isFinite(plan.throughputCeiling.perSecond)) {
    print(
      `queue/bus ceiling      ${plan.throughputCeiling.perSecond.toLocaleString('en-US')} msg/s (${plan.throughputCeiling.limitedBy})`,
    );
  }
  const { ramp } = plan;
  print(
    ramp.seconds === undefined
      ? 'ramp                   not documented for FIFO: concurrency follows the active message groups'
      : `ramp                   ${ramp.fromConcurrency} -> ${plan.plannedConcurrency} in ${Math.round(ramp.seconds)} s (${ramp.mode}); backlog from idle up to ${ramp.backlogPeakMessages} messages${ramp.backlogGrows ? ', and growing: the planned concurrency is short of the rate' : ''}`,
  );
  print('worker settings');
  for (const [name, value] of Object.entries(plan.settings)) {
    const shown =
      typeof value === 'object'
        ? `minimumPollers ${value.minimumPollers}, maximumPollers ${value.maximumPollers}`
        : value;
    print(`  ${name.padEnd(26)} ${shown}`);
  }
  for (const note of plan.notes) print(`note: ${note}`);
  for (const warning of plan.warnings) print(`warning: ${warning}`);
}

/**
 * `lanes plan --rate 500 --processing-ms 40 --batch 10 --fifo --keys 50`: the concurrency a
 * worker needs, the settings that carry it and the AWS limits it runs into. Warnings exit 0
 * unless `--strict`.
 */
export function plan(argv: string[], print: Print = (line) => console.log(line)): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      rate: { type: 'string' },
      'processing-ms': { type: 'string' },
      batch: { type: 'string', default: '10' },
      fifo: { type: 'boolean', default: false },
      keys: { type: 'string' },
      ingress: { type: 'string', default: PLAN_INGRESS.DIRECT },
      lanes: { type: 'string' },
      'fifo-throughput': { type: 'string' },
      region: { type: 'string' },
      'fifo-calls-per-second': { type: 'string' },
      timeout: { type: 'string' },
      'batching-window': { type: 'string' },
      'account-concurrency': { type: 'string' },
      provisioned: { type: 'boolean', default: false },
      'min-pollers': { type: 'string' },
      'tenant-limit': { type: 'string' },
      'writes-per-key': { type: 'string', default: '0' },
      strict: { type: 'boolean', default: false },
    },
  });
  if (!values.rate || !values['processing-ms']) {
    throw new UsageError('lanes plan needs --rate and --processing-ms');
  }
  const ingress = values.ingress as PlanIngress;
  if (!Object.values(PLAN_INGRESS).includes(ingress)) {
    throw new UsageError(
      `--ingress must be one of ${Object.values(PLAN_INGRESS).join(', ')} (given ${JSON.stringify(values.ingress)})`,
    );
  }
  const throughput = values['fifo-throughput'];
  if (throughput !== undefined && throughput !== 'high' && throughput !== 'default') {
    throw new UsageError(
      `--fifo-throughput must be high or default (given ${JSON.stringify(throughput)})`,
    );
  }
  const optional = <T>(key: string, value: T | undefined) =>
    value === undefined ? {} : { [key]: value };
  let result: CapacityPlan;
  try {
    result = planCapacity({
      // Both are present (checked above).
      ratePerSecond: numberOption('rate', values.rate, { positive: true }) as number,
      processingMs: numberOption('processing-ms', values['processing-ms'], {
        positive: true,
      }) as number,
      batchSize: Number(values.batch),
      fifo: values.fifo,
      ingress,
      provisioned: values.provisioned,
      writesPerMessagePerKey: Number(values['writes-per-key']),
      ...optional('activeKeys', integerOption('keys', values.keys, { min: 1 })),
      ...optional('lanes', integerOption('lanes', values.lanes, { min: 1, max: 100 })),
      ...optional('fifoThroughput', throughput),
      ...optional('region', values.region),
      ...optional(
        'fifoCallsPerSecond',
        integerOption('fifo-calls-per-second', values['fifo-calls-per-second'], { min: 1 }),
      ),
      ...optional('functionTimeoutSeconds', numberOption('timeout', values.timeout)),
      ...optional(
        'batchingWindowSeconds',
        numberOption('batching-window', values['batching-window']),
      ),
      ...optional(
        'accountConcurrency',
        integerOption('account-concurrency', values['account-concurrency'], { min: 1 }),
      ),
      ...optional(
        'minimumPollers',
        integerOption('min-pollers', values['min-pollers'], { min: 2, max: 200 }),
      ),
      ...optional('tenantLimit', integerOption('tenant-limit', values['tenant-limit'], { min: 1 })),
    });
  } catch (error) {
    // A value the planner refuses is a usage error: exit 2 with the usage.
    if (error instanceof PlanInputError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  formatPlan(result, print);
  return values.strict && result.warnings.length > 0 ? 1 : 0;
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'capacity plan: the concurrency and settings a worker needs for a rate',
  usage: USAGE,
  run: async (args, print) => plan(args, print),
};
