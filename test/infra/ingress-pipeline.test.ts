import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PIPELINE_OUTPUTS, PipelineStack } from '#orders/infra/pipeline-stack.ts';
import { DESCRIPTOR_DESCRIPTION } from '#shared/discovery.ts';

describe('PipelineStack (Lanes-Pipeline)', () => {
  const stack = new PipelineStack(new App(), 'Lanes-Pipeline');
  const template = Template.fromStack(stack);

  it('exports every output the demo, tests and benchmark read', () => {
    const outputs = Object.entries(template.findOutputs('*'))
      .filter(([, output]) => output.Description !== DESCRIPTOR_DESCRIPTION)
      .map(([key]) => key);
    expect(outputs.sort()).toEqual(Object.values(PIPELINE_OUTPUTS).sort());
  });

  it('describes its two workers and its ingress for the lanes CLI', () => {
    const descriptors = Object.values(
      template.findOutputs('*', { Description: DESCRIPTOR_DESCRIPTION }),
    );
    const kindsAndNames = descriptors
      .map((output) => JSON.stringify(output.Value))
      .map((text) => {
        const kind = /\\"kind\\":\\"([\w-]+)\\"/.exec(text)?.[1];
        const name = /\\"name\\":\\"([\w-]+)\\"/.exec(text)?.[1];
        return `${kind}:${name}`;
      });
    expect(kindsAndNames.sort()).toEqual([
      'ingress:Ingress',
      'worker:notifications',
      'worker:orders',
    ]);
  });

  it('has a FIFO hot path and a standard cold path, both subscribed to orders.', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 10 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 10 });
    expect(stack.ingress.routes.map((route) => [route.group, route.fifo])).toEqual([
      ['orders', true],
      ['notifications', false],
    ]);
  });

  it('routes both modes: 8 lane rules for orders, one rule for notifications, and an archive', () => {
    template.resourceCountIs('AWS::Events::Rule', 9);
    template.resourceCountIs('AWS::Events::Archive', 1);
    template.hasOutput('LaneCount', { Value: '8' });
  });

  it('gives both workers the coordination table for their idempotency records', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: {
          Variables: Match.objectLike({
            RESULTS_TABLE_NAME: Match.anyValue(),
            COORDINATION_TABLE_NAME: Match.anyValue(),
          }),
        },
      },
    });
    expect(Object.keys(functions)).toHaveLength(2);
  });

  it('lets the hot path read and write the results table and the cold path write it', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['dynamodb:GetItem', 'dynamodb:UpdateItem']),
          }),
        ]),
      },
    });
  });
});
