import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { appContext, everyConstructStack, referenceStacks } from '#test/infra/support/stacks.ts';

type Resource = { Properties?: Record<string, unknown> };

const app = new App({ context: appContext() });
const reference = referenceStacks(app);
const defaults = everyConstructStack(app);
const withTopic = everyConstructStack(app, {
  id: 'Lanes-EveryConstructAlarmed',
  withAlarmTopic: true,
});
const all: Stack[] = [...reference, defaults, withTopic];
const templates = new Map(all.map((stack) => [stack, Template.fromStack(stack)]));
const template = (stack: Stack) => templates.get(stack) as Template;

describe('no silent event loss at EventBridge', () => {
  it('every rule target of every stack has a dead-letter queue and a retry policy', () => {
    const targets = all.flatMap((stack) =>
      (
        Object.entries(template(stack).findResources('AWS::Events::Rule')) as [string, Resource][]
      ).flatMap(([id, rule]) =>
        ((rule.Properties?.Targets ?? []) as Record<string, unknown>[]).map(
          (t) => [`${stack.stackName}/${id}`, t] as const,
        ),
      ),
    );
    // 9 lane rules in Lanes-Pipeline, the schedule, and in each construct stack 9 lane rules, the
    // schedule and the autoscaler's schedule.
    expect(targets.length).toBe(32);
    for (const [id, target] of targets) {
      expect(target.DeadLetterConfig, id).toEqual({ Arn: expect.anything() });
      expect(target.RetryPolicy, id).toEqual({
        MaximumRetryAttempts: expect.any(Number),
        MaximumEventAgeInSeconds: expect.any(Number),
      });
    }
  });

  it('retries an Ingress target for a day, 185 times, before dead-lettering', () => {
    const pipeline = template(reference[0] as Stack);
    pipeline.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          SqsParameters: { MessageGroupId: 'lane-0' },
        }),
      ],
    });
  });
});

describe('alarms reach someone', () => {
  it.each([...reference, withTopic].map((s) => [s.stackName, s] as const))(
    '%s: every alarm has an alarm action and an OK action',
    (_, stack) => {
      const alarms = Object.entries(template(stack).findResources('AWS::CloudWatch::Alarm')) as [
        string,
        Resource,
      ][];
      expect(alarms.length).toBeGreaterThan(0);
      for (const [id, alarm] of alarms) {
        expect((alarm.Properties?.AlarmActions as unknown[] | undefined)?.length, id).toBe(1);
        expect((alarm.Properties?.OKActions as unknown[] | undefined)?.length, id).toBe(1);
      }
    },
  );

  it('warns at synth time about every construct whose alarms have no action', () => {
    const warnings = Annotations.fromStack(defaults).findWarning(
      '*',
      Match.stringLikeRegexp('have no action, so they reach nobody'),
    );
    expect(warnings.map((w) => w.id).sort()).toEqual(
      [
        '/Lanes-EveryConstruct/CanaryWorker',
        '/Lanes-EveryConstruct/Coordination',
        '/Lanes-EveryConstruct/Ingress',
        '/Lanes-EveryConstruct/Scaling/Schedule',
        '/Lanes-EveryConstruct/Schedule',
        '/Lanes-EveryConstruct/StandardWorker',
        '/Lanes-EveryConstruct/Worker',
        '/Lanes-EveryConstruct/Workflow',
      ].sort(),
    );
    expect(
      Annotations.fromStack(withTopic).findWarning('*', Match.stringLikeRegexp('reach nobody')),
    ).toEqual([]);
  });

  it('alarms on failed and dead-lettered events, Step Functions, EventBridge, the schedule heartbeat, DynamoDB throttles and duration', () => {
    const metricNames = new Set<string>();
    for (const alarm of Object.values(
      template(withTopic).findResources('AWS::CloudWatch::Alarm'),
    )) {
      const p = (alarm as Resource).Properties ?? {};
      if (typeof p.MetricName === 'string') metricNames.add(p.MetricName);
      for (const m of (p.Metrics ?? []) as {
        MetricStat?: { Metric?: { MetricName?: string } };
      }[]) {
        const name = m.MetricStat?.Metric?.MetricName;
        if (name) metricNames.add(name);
      }
    }
    expect([...metricNames].sort()).toEqual(
      [
        'ApproximateAgeOfOldestMessage',
        'ApproximateNumberOfMessagesVisible',
        'Duration',
        'Errors',
        'EventsDeadLettered',
        'EventsFailed',
        'ExecutionThrottled',
        'ExecutionsFailed',
        'ExecutionsTimedOut',
        'FailedInvocations',
        'InvocationsFailedToBeSentToDlq',
        'InvocationsSentToDlq',
        'ReadThrottleEvents',
        'ScheduleHeartbeat',
        'Throttles',
        'WriteThrottleEvents',
      ].sort(),
    );
    // A missed run is no data: the heartbeat alarm treats it as breaching.
    template(withTopic).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ScheduleHeartbeat',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 2,
      Period: 300,
      TreatMissingData: 'breaching',
    });
  });
});

describe('logs are kept for a known time', () => {
  it.each(all.map((s) => [s.stackName, s] as const))(
    '%s: every log group has a retention, and every function logs to one of them',
    (_, stack) => {
      const t = template(stack);
      const groups = t.findResources('AWS::Logs::LogGroup') as Record<string, Resource>;
      for (const [id, group] of Object.entries(groups)) {
        expect(group.Properties?.RetentionInDays, id).toEqual(expect.any(Number));
      }
      const functions = Object.entries(t.findResources('AWS::Lambda::Function')) as [
        string,
        Resource,
      ][];
      expect(functions.length).toBeGreaterThan(0);
      for (const [id, fn] of functions) {
        const ref = (fn.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)
          ?.LogGroup?.Ref;
        expect(ref && groups[ref], `${id} logs to a log group of the stack`).toBeTruthy();
      }
      // No log-retention custom resource: retention is a property of each group.
      expect(Object.keys(t.findResources('Custom::LogRetention'))).toEqual([]);
    },
  );
});

describe('tracing and runtime', () => {
  it.each(all.map((s) => [s.stackName, s] as const))(
    '%s: every function runs on Node.js 24 with active tracing, every state machine traces',
    (_, stack) => {
      const t = template(stack);
      for (const [id, fn] of Object.entries(t.findResources('AWS::Lambda::Function'))) {
        const p = (fn as Resource).Properties ?? {};
        expect(p.Runtime, id).toBe('nodejs24.x');
        expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
      }
      for (const [id, machine] of Object.entries(
        t.findResources('AWS::StepFunctions::StateMachine'),
      )) {
        expect((machine as Resource).Properties?.TracingConfiguration, id).toEqual({
          Enabled: true,
        });
      }
    },
  );
});
