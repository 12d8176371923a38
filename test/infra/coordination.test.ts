import { fileURLToPath } from 'node:url';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  rateIntervalMs,
  SingletonScheduledFunction,
  type SingletonScheduledFunctionProps,
} from '#infra/coordination-schedule.ts';
import { CoordinationTable } from '#infra/coordination-table.ts';
import { CoordinationStack } from '#orders/infra/coordination-stack.ts';

const entry = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));

/** An existing function, so validation tests do not bundle. */
function existingFunction(stack: Stack) {
  return new lambda.Function(stack, 'Existing', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
    timeout: Duration.seconds(20),
  });
}

function synth(props: Partial<SingletonScheduledFunctionProps> = {}) {
  const stack = new Stack(new App(), 'Test');
  const coordination = new CoordinationTable(stack, 'Coordination');
  const schedule = new SingletonScheduledFunction(stack, 'Schedule', {
    schedule: events.Schedule.rate(Duration.minutes(5)),
    table: coordination.table,
    function: existingFunction(stack),
    ...props,
  });
  return { stack, schedule, template: Template.fromStack(stack) };
}

describe('CoordinationTable', () => {
  const stack = new Stack(new App(), 'Table');
  new CoordinationTable(stack, 'Coordination');
  const template = Template.fromStack(stack);

  it('has a string partition key pk only, on-demand, with TTL on ttl, backups, default encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // SSEEnabled false means the AWS owned key (DynamoDB always encrypts at rest).
      SSESpecification: { SSEEnabled: false },
    });
  });

  it('is retained on stack deletion by default', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });
});

describe('SingletonScheduledFunction', () => {
  it('targets the function from a rule with the schedule expression', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2 } })],
    });
    template.resourceCountIs('AWS::Lambda::Permission', 1);
  });

  it('passes the schedule settings and table to the function, lease = function timeout by default', () => {
    const { template } = synth({ scheduleName: 'sweep', partitions: 3, overlap: 'bufferOne' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          COORDINATION_TABLE_NAME: Match.anyValue(),
          SCHEDULE_NAME: 'sweep',
          SCHEDULE_INTERVAL_MS: '300000',
          SCHEDULE_CATCH_UP_WINDOWS: '3',
          SCHEDULE_PARTITIONS: '3',
          SCHEDULE_OVERLAP: 'bufferOne',
          SCHEDULE_LEASE_DURATION_MS: '20000',
        },
      },
    });
  });

  it('grants the function read/write on the table', () => {
    const { template } = synth();
    const policy = Object.values(template.findResources('AWS::IAM::Policy'))[0];
    const statements = policy?.Properties.PolicyDocument.Statement as { Action: string[] }[];
    const actions = statements.flatMap((st) => st.Action);
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']),
    );
  });

  it('gives cron schedules the same catch-up and partitions, passing the expression instead of an interval', () => {
    const { template } = synth({
      schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
      partitions: 7,
    });
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const variables = fn?.Properties.Environment.Variables as Record<string, string>;
    expect(variables.SCHEDULE_CATCH_UP_WINDOWS).toBe('3');
    expect(variables.SCHEDULE_PARTITIONS).toBe('7');
    expect(variables.SCHEDULE_CRON).toBe('cron(0 3 * * ? *)');
    expect(variables.SCHEDULE_INTERVAL_MS).toBeUndefined();
  });

  describe('validation', () => {
    it.each<[Partial<SingletonScheduledFunctionProps>, RegExp]>([
      [{ catchUpWindows: -1 }, /catchUpWindows must be an integer between 0 and 100 \(given -1\)/],
      [{ catchUpWindows: 1.5 }, /given 1.5/],
      [{ partitions: 0 }, /partitions must be an integer between 1 and 100 \(given 0\)/],
      [{ partitions: 7 }, /partitions must divide the interval of 300000 ms evenly \(given 7\)/],
      [
        { leaseDuration: Duration.seconds(1) },
        /leaseDuration must be at least 2 seconds \(given 1 second\)/,
      ],
      [
        { schedule: events.Schedule.expression('cron(0 12 15W * ? *)') },
        /Cron expression "cron\(0 12 15W \* \? \*\)" is not usable: day-of-month 15W uses W/,
      ],
      [
        { schedule: events.Schedule.expression('cron(0 12 * * MON *)') },
        /exactly one of day-of-month \(\*\) and day-of-week \(MON\) must be \?/,
      ],
      [{ entry }, /give exactly one of entry .*and function .*\(given both\)/],
      [{ overlap: 'queue' as 'skip' }, /overlap must be 'skip' or 'bufferOne' \(given queue\)/],
    ])('rejects %o', (props, message) => {
      expect(() => synth(props)).toThrow(message);
    });
  });

  it('reads the interval of rate expressions', () => {
    expect(rateIntervalMs(events.Schedule.rate(Duration.minutes(1)))).toBe(60_000);
    expect(rateIntervalMs(events.Schedule.rate(Duration.hours(2)))).toBe(7_200_000);
    expect(rateIntervalMs(events.Schedule.rate(Duration.days(1)))).toBe(86_400_000);
    expect(rateIntervalMs(events.Schedule.cron({ minute: '5' }))).toBeUndefined();
  });
});

describe('CoordinationStack', () => {
  const stack = new CoordinationStack(new App(), 'Lanes-Coordination');
  const template = Template.fromStack(stack);

  it('has the table (removable), a per-minute rule and a bundled Node.js 24 sample function', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Timeout: 30,
      Environment: {
        Variables: Match.objectLike({ SCHEDULE_NAME: 'sample', SCHEDULE_PARTITIONS: '2' }),
      },
    });
    const named = Object.entries(template.findOutputs('*'))
      .filter(([, output]) => output.Description !== 'lanes:descriptor')
      .map(([key]) => key);
    expect(named.sort()).toEqual([
      'CoordinationTableName',
      'SampleScheduleFunctionName',
      'SampleScheduleName',
      'SampleScheduleRuleName',
    ]);
  });

  it('rejects a missing entry and function together', () => {
    const s = new Stack(new App(), 'X');
    const table = new CoordinationTable(s, 'C', { removalPolicy: RemovalPolicy.DESTROY }).table;
    expect(
      () =>
        new SingletonScheduledFunction(s, 'S', {
          schedule: events.Schedule.rate(Duration.minutes(1)),
          table,
        }),
    ).toThrow(/given neither/);
  });

  it('alarms when a rate schedule misses its runs, and refuses a heartbeat window CloudWatch cannot watch', () => {
    const s = new Stack(new App(), 'H');
    const table = new CoordinationTable(s, 'C', { removalPolicy: RemovalPolicy.DESTROY }).table;
    new SingletonScheduledFunction(s, 'Hourly', {
      schedule: events.Schedule.rate(Duration.hours(1)),
      table,
      entry,
      alarmThresholds: { missedRuns: 3 },
    });
    Template.fromStack(s).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ScheduleHeartbeat',
      Period: 3600,
      EvaluationPeriods: 3,
      TreatMissingData: 'breaching',
    });
    expect(
      () =>
        new SingletonScheduledFunction(s, 'Daily', {
          schedule: events.Schedule.rate(Duration.days(1)),
          table,
          entry,
          alarmThresholds: { missedRuns: 8 },
        }),
    ).toThrow(/heartbeat alarm would watch 8 x 86400 s = 691200 s, beyond CloudWatch's limits/);
  });
});
