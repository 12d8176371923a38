import { fileURLToPath } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkerAutoscaling, type WorkerAutoscalingProps } from '#infra/autoscaling.ts';
import { CoordinationTable } from '#infra/coordination-table.ts';
import { Ingress } from '#infra/ingress.ts';
import { Worker, type WorkerProps } from '#infra/worker.ts';
import { DESCRIPTOR_DESCRIPTION } from '#shared/discovery.ts';
import { AUTOSCALER_ENV, parseAutoscalerConfig } from '#shared/scaling/autoscaler.ts';
import { parseCanaryDescription } from '#shared/scaling/canary-marker.ts';

const entry = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));

function stackWithWorker(workerProps: Partial<WorkerProps> = {}) {
  const stack = new Stack(new App(), 'Ops');
  const worker = new Worker(stack, 'Jobs', {
    entry,
    fifo: false,
    maxConcurrency: 2,
    reservedConcurrency: 10,
    ...workerProps,
  });
  const coordination = new CoordinationTable(stack, 'Coordination');
  return { stack, worker, table: coordination.table };
}

function autoscale(
  props: Partial<WorkerAutoscalingProps> = {},
  workerProps: Partial<WorkerProps> = {},
) {
  const { stack, worker, table } = stackWithWorker(workerProps);
  const scaling = new WorkerAutoscaling(stack, 'JobsScaling', {
    worker,
    table,
    minConcurrency: 2,
    maxConcurrency: 20,
    targetBacklogPerConcurrency: 100,
    ...props,
  });
  return { stack, worker, scaling };
}

/** The rule problems of props that must not synthesize (checked before anything is bundled). */
function problemOf(props: Partial<WorkerAutoscalingProps>, workerProps: Partial<WorkerProps> = {}) {
  try {
    autoscale(props, workerProps);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('WorkerAutoscaling', () => {
  let template: Template;
  let stack: Stack;

  beforeAll(() => {
    const built = autoscale({
      evaluationPeriod: Duration.seconds(10),
      scaleInCooldown: Duration.seconds(30),
      targetOldestMessageAge: Duration.minutes(2),
      scheduleFloors: [
        {
          minConcurrency: 8,
          from: '08:00',
          to: '18:00',
          timeZone: 'Europe/Berlin',
          days: ['MON', 'FRI'],
        },
      ],
      metricNamespace: 'payments',
    });
    stack = built.stack;
    template = Template.fromStack(stack);
  });

  function scalerEnvironment(): Record<string, unknown> {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: { Variables: Match.objectLike({ [AUTOSCALER_ENV.config]: Match.anyValue() }) },
      },
    });
    const [scaler] = Object.values(functions) as Array<{
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }>;
    if (!scaler) throw new Error('no autoscaler function in the template');
    return scaler.Properties.Environment.Variables;
  }

  it('configures its function with the whole policy, the mapping and the queue', () => {
    const raw = scalerEnvironment()[AUTOSCALER_ENV.config] as { 'Fn::Join': [string, unknown[]] };
    // Tokens (function name, mapping UUID, queue URL) are joined in; the rest is literal JSON.
    const literal = raw['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : '"TOKEN"'))
      .join('');
    const config = parseAutoscalerConfig(literal.replace(/""TOKEN""/g, '"TOKEN"'));
    expect(config).toMatchObject({
      worker: 'Jobs',
      metricNamespace: 'payments',
      policy: {
        minConcurrency: 2,
        maxConcurrency: 20,
        targetBacklogPerConcurrency: 100,
        targetOldestMessageAgeSeconds: 120,
        scaleInCooldownMs: 30_000,
        evaluationPeriodMs: 10_000,
        baseReservedConcurrency: 10,
        scheduleFloors: [
          {
            minConcurrency: 8,
            from: '08:00',
            to: '18:00',
            timeZone: 'Europe/Berlin',
            days: ['MON', 'FRI'],
          },
        ],
      },
    });
  });

  it('runs as a singleton schedule: a rule every minute, a lease per period, no catch-up', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
    });
    expect(scalerEnvironment()).toMatchObject({
      SCHEDULE_NAME: 'autoscaler-Jobs',
      SCHEDULE_INTERVAL_MS: '60000',
      SCHEDULE_CATCH_UP_WINDOWS: '0',
      SCHEDULE_LEASE_DURATION_MS: '10000',
      COORDINATION_TABLE_NAME: { Ref: expect.stringMatching(/^CoordinationTable/) },
    });
    // A sub-minute period keeps one invocation evaluating until the next trigger.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 90,
      Environment: { Variables: Match.objectLike({ [AUTOSCALER_ENV.config]: Match.anyValue() }) },
    });
  });

  it('may read the queue and the age metric, and change only its own mapping and function', () => {
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(statements).toContain('sqs:GetQueueAttributes');
    expect(statements).toContain('cloudwatch:GetMetricData');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
            Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
          }),
          Match.objectLike({
            Action: ['lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsFunction'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('uses the evaluation period as the rule rate from a minute up', () => {
    const { stack: minutes } = autoscale({ evaluationPeriod: Duration.minutes(2) });
    Template.fromStack(minutes).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 minutes)',
    });
    Template.fromStack(minutes).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 30,
      Environment: { Variables: Match.objectLike({ SCHEDULE_INTERVAL_MS: '120000' }) },
    });
  });

  it.each<[string, Partial<WorkerAutoscalingProps>, RegExp, Partial<WorkerProps>?]>([
    [
      'min above max',
      { minConcurrency: 30, maxConcurrency: 20 },
      /minConcurrency must not exceed maxConcurrency \(given 30 and 20\)/,
    ],
    ['max out of range', { maxConcurrency: 1_001 }, /between 2 and 1000 \(given 2 and 1001\)/],
    ['no target', { targetBacklogPerConcurrency: undefined }, /give at least one target/],
    [
      'a zero backlog target',
      { targetBacklogPerConcurrency: 0 },
      /targetBacklogPerConcurrency must be a positive number of messages \(given 0\)/,
    ],
    [
      'a floor outside the bounds',
      { scheduleFloors: [{ minConcurrency: 40, from: '08:00', to: '18:00', timeZone: 'UTC' }] },
      /scheduleFloors\[0\]\.minConcurrency must be within minConcurrency\.\.maxConcurrency = 2\.\.20 \(given 40\)/,
    ],
    [
      'an unknown time zone',
      {
        scheduleFloors: [
          { minConcurrency: 4, from: '08:00', to: '18:00', timeZone: 'Mars/Olympus' },
        ],
      },
      /scheduleFloors\[0\]\.timeZone must be an IANA time zone such as Europe\/Berlin \(given "Mars\/Olympus"\)/,
    ],
    [
      'a bad time',
      { scheduleFloors: [{ minConcurrency: 4, from: '8am', to: '25:00', timeZone: 'UTC' }] },
      /scheduleFloors\[0\]\.from must be HH:MM.*\(given "8am"\)[\s\S]*scheduleFloors\[0\]\.to must be HH:MM.*\(given "25:00"\)/,
    ],
    [
      'an empty window',
      { scheduleFloors: [{ minConcurrency: 4, from: '08:00', to: '08:00', timeZone: 'UTC' }] },
      /scheduleFloors\[0\] is empty/,
    ],
    [
      'a bad day',
      {
        scheduleFloors: [
          {
            minConcurrency: 4,
            from: '08:00',
            to: '09:00',
            timeZone: 'UTC',
            days: ['MONDAY' as 'MON'],
          },
        ],
      },
      /scheduleFloors\[0\]\.days must name days of SUN, MON/,
    ],
    [
      'a period of half a second',
      { evaluationPeriod: Duration.millis(500) },
      /evaluationPeriod must be at least 1 second/,
    ],
    [
      'a period of 90 s',
      { evaluationPeriod: Duration.seconds(90) },
      /whole minutes from 1 minute up \(given 1 minute 30 seconds\)/,
    ],
    [
      'an AWS namespace',
      { metricNamespace: 'AWS/Lambda' },
      /metricNamespace must be .* not start with AWS\//,
    ],
    [
      'a deployed maxConcurrency outside the bounds',
      { minConcurrency: 4 },
      /the worker's maxConcurrency 2 must lie within minConcurrency\.\.maxConcurrency = 4\.\.20/,
    ],
    [
      'a provisioned worker',
      {},
      /uses provisioned pollers .* its mapping has no maximum concurrency to scale/,
      {
        maxConcurrency: undefined,
        provisionedPollers: { minimumPollers: 2 },
        reservedConcurrency: 20,
      },
    ],
  ])('refuses %s', (_, props, message, workerProps) => {
    expect(problemOf(props, workerProps)).toMatch(message);
  });
});

describe('Worker canary', () => {
  function canaryWorker(props: Partial<WorkerProps> = {}) {
    const stack = new Stack(new App(), 'Canary');
    const extra = new cloudwatch.Alarm(stack, 'Latency', {
      metric: new cloudwatch.Metric({ namespace: 'Payments', metricName: 'Latency' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    const worker = new Worker(stack, 'Payments', {
      entry,
      fifo: false,
      canary: { percent: 10, interval: Duration.minutes(10), alarms: [extra] },
      ...props,
    });
    return { stack, worker, template: Template.fromStack(stack) };
  }

  it('maps the queue to an alias of the current version whose description carries the canary', () => {
    const { template, worker } = canaryWorker();
    const aliases = Object.values(template.findResources('AWS::Lambda::Alias')) as Array<{
      Properties: { Name: string; Description: string; FunctionVersion: unknown };
    }>;
    expect(aliases).toHaveLength(1);
    expect(aliases[0]?.Properties.Name).toBe('live');
    expect(parseCanaryDescription(aliases[0]?.Properties.Description)).toEqual({
      percent: 10,
      intervalSeconds: 600,
    });
    template.resourceCountIs('AWS::Lambda::Version', 1);
    // The previous version must outlive the deploy that replaces it: the canary routes to both.
    template.hasResource('AWS::Lambda::Version', { DeletionPolicy: 'Retain' });
    // The mapping invokes function:live (the alias ARN), not the function itself.
    const [mapping] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(JSON.stringify(mapping?.Properties.FunctionName)).toMatch(/":live"/);
    expect(worker.alias?.aliasName).toBe('live');
  });

  it("wires CodeDeploy's canary with the worker's alarms (and the extra ones) as rollback triggers", () => {
    const { template, worker } = canaryWorker();
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: {
        Type: 'TimeBasedCanary',
        TimeBasedCanary: { CanaryInterval: 10, CanaryPercentage: 10 },
      },
    });
    const groups = Object.values(
      template.findResources('AWS::CodeDeploy::DeploymentGroup'),
    ) as Array<{
      Properties: {
        AlarmConfiguration: { Alarms: unknown[]; Enabled: boolean };
        AutoRollbackConfiguration: { Events: string[] };
      };
    }>;
    expect(groups).toHaveLength(1);
    expect(groups[0]?.Properties.AlarmConfiguration.Enabled).toBe(true);
    expect(groups[0]?.Properties.AlarmConfiguration.Alarms).toHaveLength(
      Object.keys(worker.alarms).length + 1, // every alarm of the worker, and the extra one
    );
    expect(groups[0]?.Properties.AutoRollbackConfiguration.Events.sort()).toEqual([
      'DEPLOYMENT_FAILURE',
      'DEPLOYMENT_STOP_ON_ALARM',
      'DEPLOYMENT_STOP_ON_REQUEST',
    ]);
    template.hasResource('AWS::Lambda::Alias', {
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.anyValue() },
    });
  });

  it('describes the alias and the deployment group for lanes canary', () => {
    const { stack } = canaryWorker();
    const outputs = Template.fromStack(stack).findOutputs('*', {
      Description: DESCRIPTOR_DESCRIPTION,
    });
    const value = JSON.stringify(Object.values(outputs)[0]?.Value);
    expect(value).toContain('\\"alias\\":\\"live\\"');
    expect(value).toContain('codeDeployApplication');
    expect(value).toContain('deploymentGroup');
  });

  it('keeps a worker without canary free of aliases and CodeDeploy', () => {
    const stack = new Stack(new App(), 'Plain');
    new Worker(stack, 'Plain', { entry });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Alias', 0);
    template.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 0);
  });

  it.each<[string, WorkerProps['canary'], RegExp]>([
    ['0 %', { percent: 0 }, /canary\.percent must be an integer between 1 and 99 \(given 0\)/],
    ['100 %', { percent: 100 }, /\(given 100\)/],
    ['a fraction', { percent: 2.5 }, /\(given 2\.5\)/],
    [
      'an interval of 90 s',
      { percent: 10, interval: Duration.seconds(90) },
      /canary\.interval must be whole minutes, at least 1 \(given 1 minute 30 seconds\)/,
    ],
    [
      'an alias of digits',
      { percent: 10, aliasName: '42' },
      /canary\.aliasName must be 1-128 of letters/,
    ],
  ])('refuses a canary of %s', (_, canary, message) => {
    expect(() => new Worker(new Stack(new App(), 'Bad'), 'W', { entry, canary })).toThrow(message);
  });
});

describe('Ingress fair mode', () => {
  it('routes a fair group with fair: true, so the publisher sets MessageGroupId = key', () => {
    const stack = new Stack(new App(), 'Fair');
    const queue = new sqs.Queue(stack, 'Jobs');
    const ingress = new Ingress(stack, 'Ingress', {
      groups: [{ name: 'jobs', typePrefixes: ['jobs.'], queue, fair: true }],
    });
    expect(ingress.routes).toEqual([
      expect.objectContaining({ group: 'jobs', fifo: false, fair: true }),
    ]);
    expect(JSON.stringify(stack.resolve(ingress.routesJson))).toContain('\\"fair\\":true');
  });

  it('refuses a fair group on a FIFO queue and a fair group over EventBridge', () => {
    const stack = new Stack(new App(), 'Unfair');
    const fifo = new sqs.Queue(stack, 'Ordered', { fifo: true });
    const standard = new sqs.Queue(stack, 'Standard');
    expect(
      () =>
        new Ingress(stack, 'A', {
          groups: [{ name: 'a', typePrefixes: ['a.'], queue: fifo, fair: true }],
        }),
    ).toThrow(/fair groups need a standard queue \(group a has a FIFO queue\)/);
    expect(
      () =>
        new Ingress(stack, 'B', {
          mode: 'both',
          groups: [{ name: 'b', typePrefixes: ['b.'], queue: standard, fair: true }],
        }),
    ).toThrow(/fair groups need mode direct \(given mode both, fair group b\)/);
  });
});
