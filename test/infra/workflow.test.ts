import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_TYPE, Workflow } from '#infra/workflow.ts';
import { lambdaStep, queueStep } from '#infra/workflow-steps.ts';
import {
  type FulfilmentFunctions,
  OrderFulfilmentWorkflow,
} from '#orders/infra/order-fulfilment-workflow.ts';

function inlineFunction(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
  });
}

/** The state machine's definition as an object (CDK renders it as a Fn::Join of strings). */
function definitionOf(template: Template): Record<string, unknown> {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [machine] = Object.values(machines);
  if (!machine) throw new Error('The stack has no state machine');
  const join = (machine.Properties as { DefinitionString: { 'Fn::Join': [string, unknown[]] } })
    .DefinitionString['Fn::Join'][1];
  // Tokens (ARNs, queue URLs) always sit inside JSON strings of the definition.
  return JSON.parse(join.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
}

function stackWithFunction() {
  const stack = new Stack(new App(), 'Test');
  return { stack, fn: inlineFunction(stack, 'Fn') };
}

describe('Workflow', () => {
  it('creates a STANDARD, JSONPath state machine with logging, a catch that records the failure', () => {
    const { stack, fn } = stackWithFunction();
    new Workflow(stack, 'Wf', {
      definition: lambdaStep(stack, 'Step', { function: fn, resultPath: '$.step' }),
    });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
      TracingConfiguration: { Enabled: true },
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const definition = definitionOf(template) as {
      QueryLanguage?: string;
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
      TimeoutSeconds: number;
    };
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(definition.StartAt).toBe('Run');
    expect(definition.TimeoutSeconds).toBe(3600);
    expect(definition.States.Run).toMatchObject({
      Type: 'Parallel',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordFailure' }],
      Next: 'RecordSuccess',
    });
    expect(definition.States.RecordFailure).toMatchObject({
      Resource: expect.stringContaining('dynamodb:putItem'),
      Next: 'Failed',
    });
    expect(definition.States.Failed).toEqual({
      Type: 'Fail',
      ErrorPath: '$.failure.Error',
      CausePath: '$.failure.Cause',
    });
  });

  it('offers EXPRESS, logging everything by default', () => {
    const { stack, fn } = stackWithFunction();
    new Workflow(stack, 'Wf', {
      type: WORKFLOW_TYPE.EXPRESS,
      definition: lambdaStep(stack, 'Step', { function: fn, resultPath: '$.step' }),
    });

    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
  });

  describe('validation', () => {
    const build = (props: Partial<ConstructorParameters<typeof Workflow>[2]>) => {
      const { stack, fn } = stackWithFunction();
      return () =>
        new Workflow(stack, 'Wf', {
          definition: lambdaStep(stack, 'Step', { function: fn, resultPath: '$.step' }),
          ...props,
        });
    };

    it('rejects an EXPRESS timeout above 5 minutes', () => {
      expect(build({ type: WORKFLOW_TYPE.EXPRESS, timeout: Duration.minutes(10) })).toThrow(
        /timeout must be between 1 second and 300 seconds for EXPRESS workflows \(given 10 minutes\)/,
      );
    });

    it('rejects a businessKeyPath that is not a JSONPath', () => {
      expect(build({ businessKeyPath: 'orderId' })).toThrow(/businessKeyPath .*given orderId/);
    });

    it('rejects includeExecutionData with logging off', () => {
      expect(build({ includeExecutionData: true, logLevel: sfn.LogLevel.OFF })).toThrow(
        /includeExecutionData has no effect with logLevel OFF/,
      );
    });
  });
});

describe('lambdaStep', () => {
  it('retries transient Lambda errors with backoff and full jitter, without the L2 default retry', () => {
    const { stack, fn } = stackWithFunction();
    new Workflow(stack, 'Wf', {
      definition: lambdaStep(stack, 'Step', { function: fn, resultPath: '$.step' }),
    });
    const states = (
      definitionOf(Template.fromStack(stack)) as {
        States: { Run: { Branches: Array<{ States: Record<string, { Retry: unknown[] }> }> } };
      }
    ).States.Run.Branches[0]?.States;

    expect(states?.Step?.Retry).toEqual([
      expect.objectContaining({
        ErrorEquals: expect.arrayContaining([
          'Lambda.ServiceException',
          'Lambda.TooManyRequestsException',
        ]),
        IntervalSeconds: 1,
        BackoffRate: 2,
        MaxAttempts: 3,
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      }),
    ]);
  });

  it.each([
    [{ backoffRate: 0.5 }, /retry.backoffRate must be at least 1 \(given 0.5\)/],
    [{ maxAttempts: 100 }, /retry.maxAttempts must be an integer between 0 and 99 \(given 100\)/],
    [{ interval: Duration.millis(200) }, /retry.interval must be at least 1 second/],
  ])('rejects retry %o', (retry, message) => {
    const { stack, fn } = stackWithFunction();
    expect(() => lambdaStep(stack, 'Step', { function: fn, resultPath: '$.x', retry })).toThrow(
      message,
    );
  });
});

describe('queueStep', () => {
  it('sends a workflow.step envelope with the task token and waits for it, grouped by business key', () => {
    const stack = new Stack(new App(), 'Test');
    const queue = new sqs.Queue(stack, 'Q', { fifo: true, contentBasedDeduplication: true });
    new Workflow(stack, 'Wf', {
      definition: queueStep(stack, 'Charge', { queue, step: 'charge', resultPath: '$.charge' }),
    });
    const template = Template.fromStack(stack);
    const states = (
      definitionOf(template) as {
        States: { Run: { Branches: Array<{ States: Record<string, Record<string, unknown>> }> } };
      }
    ).States.Run.Branches[0]?.States;

    expect(states?.Charge).toMatchObject({
      Resource: expect.stringContaining(':states:::sqs:sendMessage.waitForTaskToken'),
      HeartbeatSeconds: 300,
      TimeoutSeconds: 900,
      Parameters: {
        'MessageGroupId.$': '$.businessKey',
        MessageBody: {
          type: 'workflow.step',
          'partitionKey.$': '$.businessKey',
          data: { 'taskToken.$': '$$.Task.Token', step: 'charge', 'input.$': '$' },
        },
      },
      Retry: [
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining(['States.HeartbeatTimeout']),
          JitterStrategy: 'FULL',
        }),
      ],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:SendMessage' })]),
      },
    });
  });

  it('rejects a heartbeatTimeout not shorter than taskTimeout', () => {
    const stack = new Stack(new App(), 'Test');
    const queue = new sqs.Queue(stack, 'Q');
    expect(() =>
      queueStep(stack, 'S', {
        queue,
        step: 's',
        resultPath: '$.s',
        heartbeatTimeout: Duration.minutes(5),
        taskTimeout: Duration.minutes(5),
      }),
    ).toThrow(
      /heartbeatTimeout must be shorter than taskTimeout \(given 5 minutes and 5 minutes\)/,
    );
  });

  it('rejects a step name the worker could not route and a bad businessKeyPath', () => {
    const stack = new Stack(new App(), 'Test');
    const queue = new sqs.Queue(stack, 'Q');
    expect(() =>
      queueStep(stack, 'S', { queue, step: 'a step', resultPath: '$.s', businessKeyPath: 'key' }),
    ).toThrow(/businessKeyPath .*given key\).*step must be .*given "a step"/s);
  });
});

describe('OrderFulfilmentWorkflow', () => {
  const functions = (stack: Stack): FulfilmentFunctions => ({
    reserve: inlineFunction(stack, 'Reserve'),
    charge: inlineFunction(stack, 'ChargeFn'),
    notify: inlineFunction(stack, 'NotifyFn'),
    release: inlineFunction(stack, 'ReleaseFn'),
    refund: inlineFunction(stack, 'RefundFn'),
  });

  it('compensates: Charge -> release, Notify -> refund -> release, both ending in Compensated', () => {
    const stack = new Stack(new App(), 'Test');
    const table = new Workflow(stack, 'Tables', { definition: new sfn.Pass(stack, 'P') })
      .statusTable;
    new OrderFulfilmentWorkflow(stack, 'Orders', {
      table,
      dispatch: 'direct',
      functions: functions(stack),
    });
    const machines = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
    const text = JSON.stringify(Object.values(machines).map((m) => m.Properties.DefinitionString));

    expect(text).toContain('\\"Charge\\":{\\"Next\\":\\"Notify\\"');
    expect(text).toMatch(
      /\\"Charge\\".*?\\"Catch\\":\[\{\\"ErrorEquals\\":\[\\"States.ALL\\"\],\\"ResultPath\\":\\"\$.failure\\",\\"Next\\":\\"ReleaseAfterChargeFailed\\"/,
    );
    expect(text).toMatch(/\\"Notify\\".*?\\"Next\\":\\"Refund\\"/);
    expect(text).toMatch(/\\"Refund\\":\{\\"Next\\":\\"ReleaseAfterNotifyFailed\\"/);
    expect(text).toMatch(/\\"ReleaseAfterNotifyFailed\\":\{\\"Next\\":\\"Compensated\\"/);
    expect(text).toMatch(/\\"ReleaseAfterChargeFailed\\":\{\\"Next\\":\\"Compensated\\"/);
  });

  it('rejects direct dispatch without functions and queue dispatch without a queue', () => {
    const stack = new Stack(new App(), 'Test');
    const table = new Workflow(stack, 'Tables', { definition: new sfn.Pass(stack, 'P') })
      .statusTable;

    expect(() => new OrderFulfilmentWorkflow(stack, 'A', { table, dispatch: 'direct' })).toThrow(
      /dispatch 'direct' needs functions and no stepQueue \(given functions: no, stepQueue: no\)/,
    );
    expect(() => new OrderFulfilmentWorkflow(stack, 'B', { table, dispatch: 'queue' })).toThrow(
      /dispatch 'queue' needs stepQueue and no functions \(given stepQueue: no, functions: no\)/,
    );
  });
});
