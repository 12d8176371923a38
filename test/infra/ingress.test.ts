import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { type ComponentGroup, Ingress, type IngressProps } from '#infra/ingress.ts';
import { laneGroupId, laneOf } from '#shared/ingress/lanes.ts';

function synth(
  props: Partial<IngressProps> = {},
  groups?: (stack: Stack) => ComponentGroup[],
  before?: (stack: Stack, ingress: Ingress) => void,
) {
  const stack = new Stack(new App(), 'Test', {
    env: { account: '111111111111', region: 'eu-west-1' },
  });
  const orders = new sqs.Queue(stack, 'Orders', { fifo: true, contentBasedDeduplication: true });
  const emails = new sqs.Queue(stack, 'Emails');
  const ingress = new Ingress(stack, 'Ingress', {
    groups: groups?.(stack) ?? [
      { name: 'orders', typePrefixes: ['orders.'], queue: orders },
      { name: 'emails', typePrefixes: ['orders.created', 'sendemail.'], queue: emails },
    ],
    ...props,
  });
  before?.(stack, ingress);
  return { stack, ingress, template: Template.fromStack(stack) };
}

describe('Ingress', () => {
  describe('direct mode (default)', () => {
    const { ingress, template, stack } = synth();

    it('creates no bus, rule or archive', () => {
      template.resourceCountIs('AWS::Events::EventBus', 0);
      template.resourceCountIs('AWS::Events::Rule', 0);
      template.resourceCountIs('AWS::Events::Archive', 0);
      expect(ingress.lanes).toBe(0);
    });

    it('exposes a routing table with prefixes, queue URLs and FIFO flags', () => {
      const routes = stack.resolve(ingress.routes) as {
        group: string;
        typePrefixes: string[];
        fifo: boolean;
      }[];
      expect(routes.map((r) => [r.group, r.typePrefixes, r.fifo])).toEqual([
        ['orders', ['orders.'], true],
        ['emails', ['orders.created', 'sendemail.'], false],
      ]);
    });
  });

  describe('eventbridge mode', () => {
    const { template, ingress } = synth({ mode: 'eventbridge', lanes: 4 });

    it('creates one rule per lane for a FIFO group, delivering to message group lane-<n>', () => {
      for (let lane = 0; lane < 4; lane++) {
        template.hasResourceProperties('AWS::Events::Rule', {
          EventPattern: {
            'detail-type': [{ prefix: 'orders.' }],
            detail: { lane: [lane] },
          },
          Targets: [Match.objectLike({ SqsParameters: { MessageGroupId: `lane-${lane}` } })],
        });
      }
      expect(ingress.rules.orders).toHaveLength(4);
    });

    it('has, for the lane the publisher stamps on any key, exactly one rule per FIFO group, delivering to its laneGroupId', () => {
      const rules = Object.values(template.findResources('AWS::Events::Rule')).map(
        (rule) =>
          rule.Properties as {
            EventPattern: { detail?: { lane: number[] } };
            Targets: { SqsParameters?: { MessageGroupId: string } }[];
          },
      );
      for (const key of ['customer-1', 'customer-9', 'tenant-日本', 'ACME Corp', 'x0', 'x8']) {
        const lane = laneOf(key, ingress.lanes);
        const matching = rules.filter((rule) => rule.EventPattern.detail?.lane.includes(lane));
        expect(matching, key).toHaveLength(1);
        expect(matching[0]?.Targets[0]?.SqsParameters?.MessageGroupId).toBe(laneGroupId(lane));
      }
    });

    it('creates one rule without lanes for a standard-queue group, matching all its prefixes (fan-out)', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          'detail-type': [{ prefix: 'orders.created' }, { prefix: 'sendemail.' }],
          detail: Match.absent(),
        },
        Targets: [Match.objectLike({ SqsParameters: Match.absent() })],
      });
      template.resourceCountIs('AWS::Events::Rule', 5);
    });

    it('archives the bus for replay, 7 days by default', () => {
      template.resourceCountIs('AWS::Events::EventBus', 1);
      template.hasResourceProperties('AWS::Events::Archive', {
        RetentionDays: 7,
        EventPattern: { account: ['111111111111'] },
      });
    });

    it('lets EventBridge send to the queues', () => {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['sqs:SendMessage']),
              Principal: { Service: 'events.amazonaws.com' },
            }),
          ]),
        },
      });
    });
  });

  describe('options', () => {
    it('uses an existing bus and skips the archive when asked', () => {
      const { template, ingress } = synth({}, (stack) => [
        {
          name: 'orders',
          typePrefixes: ['orders.'],
          queue: new sqs.Queue(stack, 'Q', { fifo: true }),
        },
      ]);
      expect(ingress.eventBus).toBeUndefined();
      template.resourceCountIs('AWS::Events::EventBus', 0);

      const stack = new Stack(new App(), 'Existing');
      const bus = events.EventBus.fromEventBusName(stack, 'Bus', 'shared-bus');
      const queue = new sqs.Queue(stack, 'Q', { fifo: true });
      const withBus = new Ingress(stack, 'Ingress', {
        mode: 'both',
        lanes: 2,
        eventBus: bus,
        archive: false,
        groups: [{ name: 'orders', typePrefixes: ['orders.'], queue }],
      });
      const existing = Template.fromStack(stack);
      existing.resourceCountIs('AWS::Events::EventBus', 0);
      existing.resourceCountIs('AWS::Events::Archive', 0);
      existing.resourceCountIs('AWS::Events::Rule', 2);
      expect(withBus.eventBus).toBe(bus);
    });

    it('grants publishing: SendMessage on every queue (direct) and PutEvents on the bus', () => {
      const { template } = synth({ mode: 'both', lanes: 2 }, undefined, (stack, ingress) => {
        const role = new iam.Role(stack, 'Producer', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        });
        ingress.grantPublish(role);
      });
      for (const action of [Match.arrayWith(['sqs:SendMessage']), 'events:PutEvents']) {
        template.hasResourceProperties('AWS::IAM::Policy', {
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: action })]) },
        });
      }
    });
  });

  describe('validation rules', () => {
    it('rejects lanes outside 1..100', () => {
      expect(() => synth({ mode: 'eventbridge', lanes: 0 })).toThrow(
        /lanes must be an integer between 1 and 100 \(given 0\)/,
      );
      expect(() => synth({ mode: 'eventbridge', lanes: 101 })).toThrow(/\(given 101\)/);
    });

    it('rejects more rules than the bus quota', () => {
      expect(() =>
        synth({ mode: 'eventbridge', lanes: 100 }, (stack) =>
          [1, 2, 3, 4].map((n) => ({
            name: `g${n}`,
            typePrefixes: ['x.'],
            queue: new sqs.Queue(stack, `Q${n}`, { fifo: true }),
          })),
        ),
      ).toThrow(
        /4 FIFO groups x 100 lanes need 400 rules, above EventBridge's default quota of 300/,
      );
    });

    it('rejects lanes or a bus in direct mode', () => {
      expect(() => synth({ mode: 'direct', lanes: 4 })).toThrow(
        /eventBus and lanes only apply to the eventbridge and both modes \(given mode direct\)/,
      );
    });

    it('rejects a target retry policy outside what EventBridge takes, and a FIFO DLQ', () => {
      expect(() => synth({ mode: 'eventbridge', retryAttempts: 186 })).toThrow(
        /retryAttempts must be an integer between 0 and 185 \(given 186\)/,
      );
      expect(() => synth({ mode: 'eventbridge', maxEventAge: Duration.seconds(30) })).toThrow(
        /maxEventAge must be between 60 seconds and 24 hours \(given 30 seconds\)/,
      );
      const stack = new Stack(new App(), 'Fifo');
      expect(
        () =>
          new Ingress(stack, 'Ingress', {
            mode: 'eventbridge',
            deadLetterQueue: new sqs.Queue(stack, 'Dlq', { fifo: true }),
            groups: [{ name: 'a', typePrefixes: ['a.'], queue: new sqs.Queue(stack, 'A') }],
          }),
      ).toThrow(/deadLetterQueue must be a standard queue/);
      expect(() => synth({ mode: 'direct', retryAttempts: 3 })).toThrow(
        /only apply to the EventBridge targets of the eventbridge and both modes/,
      );
    });

    it('gives every lane rule target the DLQ, a retry policy, and alarms on the deliveries', () => {
      const { template, ingress } = synth({ mode: 'eventbridge', lanes: 2 });
      template.resourceCountIs('AWS::Events::Rule', 3);
      template.allResourcesProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            DeadLetterConfig: {
              Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('TargetDeadLetterQueue'), 'Arn'] },
            },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          }),
        ],
      });
      // EventBridge may send to the DLQ, from these rules only.
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sqs:SendMessage',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': Match.anyValue() } },
            }),
          ]),
        },
      });
      expect(Object.keys(ingress.alarms ?? {})).toEqual([
        'failedInvocations',
        'deadLetteredInvocations',
        'lostInvocations',
        'deadLetterDepth',
      ]);
    });

    it('rejects an unknown mode', () => {
      expect(() => synth({ mode: 'kafka' as never })).toThrow(
        /mode must be one of direct, eventbridge, both \(given "kafka"\)/,
      );
    });

    it('rejects no groups, duplicate names, bad names and empty prefixes', () => {
      expect(() => synth({}, () => [])).toThrow(/groups must name at least one component group/);
      expect(() =>
        synth({}, (stack) => [
          { name: 'a', typePrefixes: ['x.'], queue: new sqs.Queue(stack, 'A') },
          { name: 'a', typePrefixes: ['y.'], queue: new sqs.Queue(stack, 'B') },
        ]),
      ).toThrow(/group names must be unique \(given a more than once\)/);
      expect(() =>
        synth({}, (stack) => [
          { name: 'bad-name', typePrefixes: ['x.'], queue: new sqs.Queue(stack, 'A') },
        ]),
      ).toThrow(
        /group names must be 1-64 letters and digits starting with a letter \(given "bad-name"\)/,
      );
      expect(() =>
        synth({}, (stack) => [{ name: 'a', typePrefixes: [], queue: new sqs.Queue(stack, 'A') }]),
      ).toThrow(/every group needs at least one non-empty type prefix \(group a has none\)/);
    });
  });
});
