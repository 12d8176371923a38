import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '#cli/lanes.ts';
import { AWS_LIMITS } from '#shared/capacity/limits.ts';
import { type CapacityPlan, planCapacity, type WorkloadInput } from '#shared/capacity/plan.ts';
import { rampToConcurrency } from '#shared/capacity/ramp.ts';

const LIMITS_DOC = readFileSync(
  resolve(import.meta.dirname, '../../../docs/aws-limits.md'),
  'utf8',
);
const base = { processingMs: 40, batchSize: 10, fifo: false } as const;

/**
 * Where each number of the planner is written in docs/aws-limits.md: the row's text, which must
 * contain the number as the planner uses it (a change in one place fails this test).
 */
const CITED: Record<keyof typeof AWS_LIMITS, string> = {
  fifoInFlightPerGroup: '| in-flight batches per FIFO message group | 1 (',
  fifoCallsPerSecond:
    '| FIFO, default mode: API calls per second per action (send, receive, delete) | 300 (3,000 messages/s with batches of 10)',
  fifoHighThroughputCallsPerSecond:
    '70,000 in us-east-1, us-west-2, eu-west-1; 19,000 in us-east-2, eu-central-1',
  messagesPerCall:
    '| messages per `ReceiveMessage`, `SendMessageBatch`, `DeleteMessageBatch` call | 10 |',
  inFlightPerQueue: '| in-flight messages, standard queue | 120,000 |',
  fairNoisyShare: 'holds more than 10 % of the in-flight',
  fairNoisyMinInFlight: 'at least 30 of its own are in flight',
  maxVisibilityTimeoutSeconds: '| visibility timeout | 0 s to 12 hours',
  maxFunctionTimeoutSeconds: '| function timeout | 1 s to 900 s',
  maxConcurrencyMin: '| `ScalingConfig.MaximumConcurrency` | 2 to 1,000 |',
  maxConcurrencyMax: '| `ScalingConfig.MaximumConcurrency` | 2 to 1,000 |',
  standardInitialConcurrency: 'starts at 5 concurrent batches, adds up to 300 per minute',
  standardScaleUpPerMinute: 'starts at 5 concurrent batches, adds up to 300 per minute',
  invokesPerPoller: '10 concurrent invokes and 10 polling calls per second',
  provisionedScaleUpPerMinute: 'about 1,000 concurrent executions per minute',
  provisionedMaxConcurrency: 'up to 20,000 concurrency',
  minimumPollersMax: 'MinimumPollers 2-200 (default 2)',
  maximumPollersMax: 'MaximumPollers up to 2,000 (default 200)',
  accountConcurrency: '| account concurrency | 1,000 by default',
  unreservedMinimum: 'at least 100 must stay unreserved',
  putEventsEntriesPerCall: '| `PutEvents` entries per call | 10 |',
  putEventsCallsPerSecond: '| `PutEvents` calls per second (account, us-east-1) | 10,000',
  maxLanes: '| lanes of one `Ingress` (EventBridge modes) | 1 to 100',
  rulesPerBus: '| rules per bus | 300 (*adjustable*) |',
  dynamoWritesPerPartitionPerSecond: '| per partition | 1,000 write units/s',
};

function numbersOf(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  return Object.values(value as Record<string, number>);
}

describe("the planner's AWS numbers", () => {
  it.each(Object.keys(AWS_LIMITS) as (keyof typeof AWS_LIMITS)[])(
    '%s is written in docs/aws-limits.md as the planner uses it',
    (name) => {
      const row = CITED[name];
      expect(LIMITS_DOC).toContain(row);
      for (const number of numbersOf(AWS_LIMITS[name])) {
        const shown = number < 1 ? `${number * 100} %` : number.toLocaleString('en-US');
        expect(row, `${name} = ${number}`).toContain(shown === '43,200' ? '12 hours' : shown);
      }
    },
  );
});

interface PlanCase {
  readonly name: string;
  readonly input: WorkloadInput;
  /** The row of docs/aws-limits.md the expectation rests on. */
  readonly cites: string;
  readonly expect: (plan: CapacityPlan) => void;
}

const warnings = (plan: CapacityPlan) => plan.warnings.join('\n');

const CASES: readonly PlanCase[] = [
  {
    name: 'caps a timeout of 3 x a 1,200 s batch at 900 s and says the batch can never finish',
    input: { ...base, ratePerSecond: 1, processingMs: 120_000 },
    cites: CITED.maxFunctionTimeoutSeconds,
    expect: (plan) => {
      expect(plan.settings.functionTimeoutSeconds).toBe(900);
      expect(plan.settings.visibilityTimeoutSeconds).toBe(5_400);
      expect(warnings(plan)).toMatch(
        /3 x one batch \(3600 s\) is above Lambda's 900 s limit: planned with 900 s\. A batch of 10 takes 1200 s and can never finish: lower batchSize to at most 2/,
      );
    },
  },
  {
    name: 'caps a given timeout of 1,800 s at 900 s and gives the batch size that keeps the 3x margin',
    input: { ...base, ratePerSecond: 1, processingMs: 60_000, functionTimeoutSeconds: 1_800 },
    cites: CITED.maxFunctionTimeoutSeconds,
    expect: (plan) => {
      expect(plan.settings.functionTimeoutSeconds).toBe(900);
      expect(warnings(plan)).toMatch(
        /a function timeout of 1800 s is above Lambda's 900 s limit: planned with 900 s\. A batch of 10 \(600 s\) then has less than 3x its time.*lower batchSize to 5/,
      );
    },
  },
  {
    name: 'FIFO without high throughput: 300 calls/s of 10 messages cap the queue at 3,000 msg/s',
    input: {
      ...base,
      fifo: true,
      activeKeys: 2_000,
      ratePerSecond: 5_000,
      processingMs: 20,
      fifoThroughput: 'default',
    },
    cites: CITED.fifoCallsPerSecond,
    expect: (plan) => {
      expect(plan.throughputCeiling.perSecond).toBe(3_000);
      expect(plan.sustainableRatePerSecond).toBe(3_000);
      expect(warnings(plan)).toMatch(
        /above the 3000 msg\/s that FIFO default mode \(300 SendMessageBatch calls\/s of 10 messages\)/,
      );
    },
  },
  {
    name: 'FIFO with high throughput in us-east-1: 70,000 calls/s, no warning at 5,000 msg/s',
    input: { ...base, fifo: true, activeKeys: 2_000, ratePerSecond: 5_000, processingMs: 20 },
    cites: CITED.fifoHighThroughputCallsPerSecond,
    expect: (plan) => {
      expect(plan.throughputCeiling.perSecond).toBe(700_000);
      expect(plan.warnings).toEqual([]);
    },
  },
  {
    name: 'FIFO with high throughput in eu-central-1 (19,000 calls/s) and unbatched sends (1 per call)',
    input: {
      ...base,
      fifo: true,
      activeKeys: 5_000,
      ratePerSecond: 25_000,
      processingMs: 1,
      region: 'eu-central-1',
      sendBatchSize: 1,
    },
    cites: CITED.fifoHighThroughputCallsPerSecond,
    expect: (plan) => {
      expect(plan.throughputCeiling.perSecond).toBe(19_000);
      expect(warnings(plan)).toMatch(/19000 SendMessageBatch calls\/s of 1 messages/);
    },
  },
  {
    name: 'a Region whose high-throughput quota the document does not give: default mode, and asks for the quota',
    input: { ...base, fifo: true, activeKeys: 10, ratePerSecond: 100, region: 'ap-south-1' },
    cites: CITED.fifoCallsPerSecond,
    expect: (plan) => {
      expect(plan.throughputCeiling.perSecond).toBe(3_000);
      expect(warnings(plan)).toMatch(
        /quota of ap-south-1 is not in docs\/aws-limits\.md.*--fifo-calls-per-second/,
      );
    },
  },
  {
    name: 'EventBridge lanes are the FIFO ceiling: 8 lanes carry 8 batches whatever the keys',
    input: {
      ...base,
      fifo: true,
      activeKeys: 200,
      ratePerSecond: 800,
      ingress: 'eventbridge',
      lanes: 8,
    },
    cites: CITED.fifoInFlightPerGroup,
    expect: (plan) => {
      expect(plan.partitionCeiling).toBe(8);
      expect(plan.plannedConcurrency).toBe(8);
      expect(plan.sustainableRatePerSecond).toBe(200);
      expect(warnings(plan)).toMatch(
        /one per lane over EventBridge \(8 of --lanes 8\).*Raise --lanes \(up to 100/,
      );
    },
  },
  {
    name: 'EventBridge: PutEvents caps the ingress at 10,000 calls/s of 10 entries',
    input: {
      ...base,
      ratePerSecond: 150_000,
      processingMs: 1,
      batchSize: 100,
      ingress: 'eventbridge',
    },
    cites: CITED.putEventsCallsPerSecond,
    expect: (plan) => {
      expect(plan.throughputCeiling.perSecond).toBe(100_000);
      expect(warnings(plan)).toMatch(
        /above the 100000 msg\/s that PutEvents \(10000 calls\/s of 10 entries/,
      );
    },
  },
  {
    name: 'an account of 200 keeps 100 unreserved: the plan stops at 100',
    input: { ...base, ratePerSecond: 3_000, accountConcurrency: 200 },
    cites: CITED.unreservedMinimum,
    expect: (plan) => {
      expect(plan.requiredConcurrency).toBe(156);
      expect(plan.plannedConcurrency).toBe(100);
      expect(plan.settings.reservedConcurrency).toBe(100);
      expect(warnings(plan)).toMatch(
        /an account of 200 must keep 100 unreserved: the plan is capped at 100/,
      );
    },
  },
  {
    name: 'the default account of 1,000: 900 reserved is accepted, 901 is not',
    input: { ...base, ratePerSecond: 17_300 },
    cites: CITED.accountConcurrency,
    expect: (plan) => {
      expect(plan.plannedConcurrency).toBe(900);
      expect(plan.warnings).toEqual([]);
      expect(warnings(planCapacity({ ...base, ratePerSecond: 17_320 }))).toMatch(
        /needs 901 concurrent executions but an account of 1000 must keep 100 unreserved/,
      );
    },
  },
  {
    name: 'a standard queue ramps from 5 at +300 per minute: 156 batches in about 30 s',
    input: { ...base, ratePerSecond: 3_000 },
    cites: CITED.standardScaleUpPerMinute,
    expect: (plan) => {
      expect(plan.ramp.mode).toBe('standard');
      expect(plan.ramp.fromConcurrency).toBe(5);
      expect(plan.ramp.seconds).toBeCloseTo(30.2, 1);
      expect(plan.ramp.backlogGrows).toBe(false);
      expect(plan.ramp.backlogPeakMessages).toBeGreaterThan(30_000);
    },
  },
  {
    name: 'provisioned mode starts at the minimum pollers x 10 and ramps at +1,000 per minute',
    input: { ...base, ratePerSecond: 3_000, provisioned: true, minimumPollers: 5 },
    cites: CITED.provisionedScaleUpPerMinute,
    expect: (plan) => {
      expect(plan.settings.maxConcurrency).toBeUndefined();
      expect(plan.settings.provisionedPollers).toEqual({ minimumPollers: 5, maximumPollers: 16 });
      expect(plan.ramp).toMatchObject({ mode: 'provisioned', fromConcurrency: 50 });
      expect(plan.ramp.seconds).toBeCloseTo(6.36, 1);
    },
  },
  {
    name: "provisioned mode goes beyond one mapping's 1,000 up to 20,000",
    input: { ...base, ratePerSecond: 40_000, provisioned: true, accountConcurrency: 10_000 },
    cites: CITED.provisionedMaxConcurrency,
    expect: (plan) => {
      expect(plan.partitionCeiling).toBe(20_000);
      expect(plan.plannedConcurrency).toBe(2_080);
      expect(plan.settings.provisionedPollers).toEqual({ minimumPollers: 2, maximumPollers: 208 });
    },
  },
  {
    name: 'one mapping reaches 1,000 without provisioned mode',
    input: { ...base, ratePerSecond: 50_000, processingMs: 100, accountConcurrency: 5_000 },
    cites: CITED.maxConcurrencyMax,
    expect: (plan) => {
      expect(plan.plannedConcurrency).toBe(1_000);
      expect(warnings(plan)).toMatch(/one mapping reaches 1000 \(provisioned mode reaches 20000\)/);
    },
  },
  {
    name: 'FIFO has no documented ramp: concurrency follows the groups',
    input: { ...base, fifo: true, activeKeys: 50, ratePerSecond: 500 },
    cites: CITED.fifoInFlightPerGroup,
    expect: (plan) => {
      expect(plan.ramp).toMatchObject({ mode: 'fifo', seconds: undefined });
    },
  },
  {
    name: 'fair mode: a tenant is noisy above 10 % of the in-flight messages, at least 30',
    input: {
      ...base,
      ratePerSecond: 2_000,
      processingMs: 30,
      ingress: 'fair',
      activeKeys: 40,
      tenantLimit: 2,
    },
    cites: CITED.fairNoisyShare,
    expect: (plan) => {
      expect(plan.partitionCeiling).toBe(1_000);
      expect(plan.notes.join('\n')).toMatch(
        /about 780 messages in flight, a tenant with more than 78 of them/,
      );
      expect(plan.notes.join('\n')).toMatch(
        /limit\(2\) per tenant: one tenant is processed at most 66 msg\/s/,
      );
      expect(plan.notes.join('\n')).toMatch(/40 tenants x limit 2 = 80 records at a time/);
    },
  },
  {
    name: 'fair mode with few messages in flight: the 30-message floor decides',
    input: { ...base, ratePerSecond: 50, ingress: 'fair', activeKeys: 5 },
    cites: CITED.fairNoisyMinInFlight,
    expect: (plan) => {
      expect(plan.notes.join('\n')).toMatch(/a tenant with more than 29 of them in flight/);
    },
  },
  {
    name: 'a standard queue holds at most 120,000 messages in flight',
    input: {
      ...base,
      ratePerSecond: 100_000,
      processingMs: 1,
      batchSize: 10_000,
      batchingWindowSeconds: 1,
      accountConcurrency: 5_000,
    },
    cites: CITED.inFlightPerQueue,
    expect: (plan) => {
      expect(warnings(plan)).toMatch(/messages in flight at once is above SQS's 120000 per queue/);
    },
  },
];

describe('planCapacity against the AWS numbers', () => {
  it.each(CASES)('$name', ({ input, cites, expect: check }) => {
    expect(LIMITS_DOC).toContain(cites);
    check(planCapacity(input));
  });
});

describe('planCapacity', () => {
  it("sizes concurrency by Little's law with headroom and derives the worker settings", () => {
    const plan = planCapacity({
      ratePerSecond: 500,
      processingMs: 40,
      batchSize: 10,
      fifo: true,
      activeKeys: 50,
    });

    // 50 batches/s x 0.4 s per batch x 1.3 = 26 concurrent batches
    expect(plan.requiredConcurrency).toBe(26);
    expect(plan.plannedConcurrency).toBe(26);
    expect(plan.settings).toEqual({
      maxConcurrency: 26,
      reservedConcurrency: 26,
      functionTimeoutSeconds: 10,
      visibilityTimeoutSeconds: 60,
      maxReceiveCount: 5,
    });
    expect(plan.warnings).toEqual([]);
  });

  it('caps a FIFO worker at one batch per active key and says what rate that sustains', () => {
    const plan = planCapacity({
      ratePerSecond: 2_000,
      processingMs: 50,
      batchSize: 10,
      fifo: true,
      activeKeys: 20,
    });

    expect(plan.partitionCeiling).toBe(20);
    expect(plan.plannedConcurrency).toBe(20);
    expect(plan.sustainableRatePerSecond).toBe(400);
    expect(plan.warnings[0]).toMatch(/FIFO allows one per active key \(20\): at most 400 msg\/s/);
  });

  it('keeps the mapping minimum of 2 for a trickle and adds the batching window to the visibility timeout', () => {
    const plan = planCapacity({
      ratePerSecond: 1,
      processingMs: 5,
      batchSize: 10,
      fifo: false,
      batchingWindowSeconds: 5,
    });

    expect(plan.settings.maxConcurrency).toBe(2);
    expect(plan.settings.visibilityTimeoutSeconds).toBe(65);
  });

  it('flags a hot key that would exceed one DynamoDB partition', () => {
    const plan = planCapacity({
      ratePerSecond: 100,
      processingMs: 1,
      batchSize: 10,
      fifo: true,
      activeKeys: 5,
      writesPerMessagePerKey: 2,
    });

    expect(plan.warnings.join('\n')).toMatch(/one hot key can write 2000 units\/s/);
  });

  it('rejects bad input naming the field and the value', () => {
    expect(() =>
      planCapacity({ ratePerSecond: 0, processingMs: 5, batchSize: 1, fifo: false }),
    ).toThrow(/ratePerSecond must be a positive number \(given 0\)/);
    expect(() =>
      planCapacity({ ratePerSecond: 1, processingMs: 5, batchSize: 11, fifo: true, activeKeys: 1 }),
    ).toThrow(/batchSize must be an integer in 1\.\.10 \(given 11\)/);
    expect(() =>
      planCapacity({ ratePerSecond: 1, processingMs: 5, batchSize: 1, fifo: true }),
    ).toThrow(/activeKeys must be a positive integer for a FIFO queue/);
    expect(() =>
      planCapacity({ ...base, ratePerSecond: 1, fifo: true, activeKeys: 2, ingress: 'fair' }),
    ).toThrow(/ingress fair is a standard queue/);
    expect(() => planCapacity({ ...base, ratePerSecond: 1, lanes: 4 })).toThrow(
      /lanes only applies to ingress eventbridge \(given ingress direct\)/,
    );
    expect(() =>
      planCapacity({ ...base, ratePerSecond: 1, ingress: 'eventbridge', lanes: 101 }),
    ).toThrow(/lanes must be an integer in 1\.\.100 \(given 101\)/);
    expect(() =>
      planCapacity({
        ...base,
        ratePerSecond: 1,
        fifo: true,
        activeKeys: 2,
        batchingWindowSeconds: 5,
      }),
    ).toThrow(/batchingWindowSeconds is not supported on FIFO queues \(given 5\)/);
    expect(() => planCapacity({ ...base, ratePerSecond: 1, minimumPollers: 3 })).toThrow(
      /minimumPollers only applies with provisioned/,
    );
  });
});

describe('rampToConcurrency', () => {
  it('needs no time when the target is at or below the initial 5', () => {
    const ramp = rampToConcurrency({
      fifo: false,
      provisioned: false,
      startConcurrency: undefined,
      targetConcurrency: 4,
      ratePerSecond: 10,
      messagesPerSecondPerUnit: 100,
    });
    expect(ramp).toMatchObject({ fromConcurrency: 4, seconds: 0, backlogPeakMessages: 0 });
  });

  it('says when the target cannot keep up with the rate', () => {
    const ramp = rampToConcurrency({
      fifo: false,
      provisioned: false,
      startConcurrency: undefined,
      targetConcurrency: 10,
      ratePerSecond: 1_000,
      messagesPerSecondPerUnit: 50,
    });
    expect(ramp.backlogGrows).toBe(true);
  });
});

describe('lanes plan', () => {
  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const status = await runCli(
      argv,
      (l) => out.push(l),
      (l) => err.push(l),
    );
    return { status, out: out.join('\n'), err: err.join('\n') };
  }

  it('exits 0 with warnings, and 1 with --strict', async () => {
    const args = [
      'plan',
      '--rate',
      '3000',
      '--processing-ms',
      '40',
      '--account-concurrency',
      '200',
    ];
    const relaxed = await cli(...args);
    expect(relaxed.status).toBe(0);
    expect(relaxed.out).toMatch(/warning: needs 156 concurrent executions but an account of 200/);
    expect((await cli(...args, '--strict')).status).toBe(1);
  });

  it('prints the ramp, the ceiling and the settings', async () => {
    const { status, out } = await cli(
      'plan',
      '--rate',
      '5000',
      '--processing-ms',
      '20',
      '--fifo',
      '--keys',
      '2000',
      '--fifo-throughput',
      'default',
    );
    expect(status).toBe(0);
    expect(out).toMatch(/queue\/bus ceiling +3,000 msg\/s \(FIFO default mode/);
    expect(out).toMatch(/ramp +not documented for FIFO/);
    expect(out).toMatch(/maxConcurrency +130/);
  });

  it('refuses what the planner refuses as a usage error (exit 2)', async () => {
    const { status, err } = await cli(
      'plan',
      '--rate',
      '10',
      '--processing-ms',
      '5',
      '--lanes',
      '4',
    );
    expect(status).toBe(2);
    expect(err).toMatch(/lanes only applies to ingress eventbridge/);
    expect(err).toMatch(/usage: lanes plan/);
  });
});
