import { fileURLToPath } from 'node:url';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { Worker, type WorkerProps } from '#infra/worker.ts';
import { DESCRIPTOR_DESCRIPTION } from '#shared/discovery.ts';

const entry = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));

function synth(props: Partial<WorkerProps> = {}, setup?: (stack: Stack) => Partial<WorkerProps>) {
  const stack = new Stack(new App(), 'Test');
  const worker = new Worker(stack, 'Worker', { entry, ...props, ...setup?.(stack) });
  return { stack, worker, template: Template.fromStack(stack) };
}

describe('Worker', () => {
  describe('defaults', () => {
    const { template, worker } = synth();

    it('creates a high-throughput FIFO queue with content-based dedup and a FIFO DLQ', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        ContentBasedDeduplication: true,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        VisibilityTimeout: 90,
        RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      expect(worker.queue.fifo).toBe(true);
    });

    it('bundles a Node.js 24 function that knows its DLQ and maxReceiveCount', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Timeout: 15,
        Environment: {
          Variables: Match.objectLike({
            LANES_DLQ_URL: Match.anyValue(),
            LANES_MAX_RECEIVE_COUNT: '5',
          }),
        },
      });
    });

    it('maps the queue with partial batch responses and a concurrency cap', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    });

    it('lets the function send to its DLQ', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['sqs:SendMessage']),
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('WorkerDeadLetterQueue'), 'Arn'] },
            }),
          ]),
        },
      });
    });

    it('does not let the function send to its own FIFO queue (a busy key is only postponed there)', () => {
      const sendToSource = template.findResources('AWS::IAM::Policy', {
        Properties: {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Action: Match.arrayWith(['sqs:SendMessage']),
                Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('WorkerQueue'), 'Arn'] },
              }),
            ]),
          },
        },
      });
      expect(Object.keys(sendToSource)).toHaveLength(0);
    });

    it('creates its seven alarms: age, DLQ depth, errors, throttles, failed and dead-lettered events, duration', () => {
      template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
      for (const metric of ['EventsFailed', 'EventsDeadLettered']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'lanes',
          MetricName: metric,
          Dimensions: [{ Name: 'service', Value: 'Worker' }],
          Statistic: 'Sum',
          Threshold: 1,
        });
      }
      // 90 % of the 15 s timeout.
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Duration',
        Statistic: 'Maximum',
        Threshold: 13_500,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateAgeOfOldestMessage',
        Threshold: 300,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors' });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' });
    });
  });

  describe('options', () => {
    it('sets reserved concurrency and maxConcurrency together', () => {
      const { template } = synth({ maxConcurrency: 20, reservedConcurrency: 25 });
      template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 25 });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ScalingConfig: { MaximumConcurrency: 20 },
      });
    });

    it('builds a standard queue with a batching window when fifo is false', () => {
      const { template } = synth({
        fifo: false,
        batchSize: 50,
        maxBatchingWindow: Duration.seconds(2),
        timeout: Duration.seconds(10),
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 62,
        FifoQueue: Match.absent(),
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: 50,
        MaximumBatchingWindowInSeconds: 2,
      });
      // A busy key's event may be requeued to it as a delayed copy.
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['sqs:SendMessage']),
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('WorkerQueue'), 'Arn'] },
            }),
          ]),
        },
      });
    });

    it('consumes an existing queue and DLQ without creating queues', () => {
      const { template, worker } = synth({}, (stack) => {
        const deadLetterQueue = new sqs.Queue(stack, 'ExistingDlq');
        return {
          queue: new sqs.Queue(stack, 'Existing', {
            deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 7 },
          }),
          deadLetterQueue,
        };
      });
      template.resourceCountIs('AWS::SQS::Queue', 2);
      expect(worker.queue.node.id).toBe('Existing');
      expect(worker.deadLetterQueue.node.id).toBe('ExistingDlq');
    });

    it('passes the record budget to the runtime in milliseconds', () => {
      const { template } = synth({
        timeout: Duration.seconds(3),
        recordBudget: Duration.millis(1_200),
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ LANES_RECORD_BUDGET_MS: '1200' }) },
      });
    });

    it('counts maxConcurrency of added queues against reserved concurrency', () => {
      const { stack, worker } = synth({ maxConcurrency: 5, reservedConcurrency: 8 });
      const extra = new sqs.Queue(stack, 'Extra', { visibilityTimeout: Duration.seconds(90) });
      expect(() => worker.addQueue(extra, { maxConcurrency: 4 })).toThrow(
        /reservedConcurrency must be at least the sum of the event sources' maxConcurrency \(given 8, sum 9/,
      );
      worker.addQueue(extra, { maxConcurrency: 3 });
      expect(worker.totalMaxConcurrency).toBe(8);
    });
  });

  describe('escape hatches', () => {
    it('passes function props (architecture, tracing, bundling) to the new function', () => {
      const { template } = synth({
        functionProps: {
          architecture: lambda.Architecture.ARM_64,
          tracing: lambda.Tracing.ACTIVE,
          bundling: { minify: true },
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Runtime: 'nodejs24.x',
      });
    });

    it('runs an existing function, adding its runtime environment and event source', () => {
      const { template, worker } = synth({ entry: undefined }, (stack) => ({
        function: new lambda.Function(stack, 'Existing', {
          runtime: lambda.Runtime.NODEJS_24_X,
          handler: 'index.handler',
          code: lambda.Code.fromInline('exports.handler = async () => ({})'),
          timeout: Duration.seconds(20),
        }),
      }));
      template.resourceCountIs('AWS::Lambda::Function', 1);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Environment: { Variables: Match.objectLike({ LANES_MAX_RECEIVE_COUNT: '5' }) },
      });
      // Visibility timeout follows the given function's timeout: 6 x 20 s.
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        VisibilityTimeout: 120,
      });
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      expect(worker.function.node.id).toBe('Existing');
    });

    it('sets the removal policy of the queues it creates', () => {
      const { template } = synth({ removalPolicy: RemovalPolicy.RETAIN });
      const queues = Object.values(template.findResources('AWS::SQS::Queue'));
      expect(queues.map((queue) => queue.DeletionPolicy)).toEqual(['Retain', 'Retain']);
    });

    it('describes itself for the lanes CLI under its name', () => {
      const { template } = synth({ name: 'billing' });
      const [descriptor] = Object.values(
        template.findOutputs('*', { Description: DESCRIPTOR_DESCRIPTION }),
      );
      expect(JSON.stringify(descriptor?.Value)).toContain('\\"name\\":\\"billing\\"');
      expect(JSON.stringify(descriptor?.Value)).toContain('\\"kind\\":\\"worker\\"');
    });
  });

  describe('provisioned pollers', () => {
    it('maps the queue in provisioned mode, with no maximum concurrency', () => {
      const { template, worker } = synth({
        provisionedPollers: { minimumPollers: 3, maximumPollers: 50 },
        reservedConcurrency: 30,
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ProvisionedPollerConfig: { MinimumPollers: 3, MaximumPollers: 50 },
        ScalingConfig: Match.absent(),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(worker.totalMaxConcurrency).toBe(30);
    });

    it('defaults to 2 and 200 pollers', () => {
      const { template } = synth({ provisionedPollers: {} });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 200 },
      });
    });

    it('rejects provisionedPollers together with maxConcurrency', () => {
      expect(() => synth({ provisionedPollers: { minimumPollers: 2 }, maxConcurrency: 5 })).toThrow(
        /maxConcurrency cannot be combined with provisionedPollers \(given maxConcurrency 5 and provisionedPollers \{"minimumPollers":2\}\)/,
      );
    });

    it.each([
      [{ minimumPollers: 1 }, /minimumPollers must be an integer between 2 and 200 \(given 1\)/],
      [
        { minimumPollers: 201 },
        /minimumPollers must be an integer between 2 and 200 \(given 201\)/,
      ],
      [
        { maximumPollers: 2001 },
        /maximumPollers must be an integer between 2 and 2000 \(given 2001\)/,
      ],
      [
        { minimumPollers: 10, maximumPollers: 5 },
        /minimumPollers must not exceed maximumPollers \(given 10 and 5\)/,
      ],
    ])('rejects provisionedPollers %j', (provisionedPollers, message) => {
      expect(() => synth({ provisionedPollers })).toThrow(message);
    });

    it('rejects reserved concurrency below what the minimum pollers drive', () => {
      expect(() =>
        synth({ provisionedPollers: { minimumPollers: 2 }, reservedConcurrency: 10 }),
      ).toThrow(
        /reservedConcurrency must cover what the minimum provisioned pollers drive \(given 10, minimumPollers 2 x 10 = 20\)/,
      );
    });

    it('takes provisioned pollers for an added queue and counts them against reserved concurrency', () => {
      const stack = new Stack(new App(), 'Test');
      const worker = new Worker(stack, 'Worker', {
        entry,
        maxConcurrency: 5,
        reservedConcurrency: 25,
      });
      const extra = new sqs.Queue(stack, 'Extra', { visibilityTimeout: Duration.seconds(90) });
      expect(() => worker.addQueue(extra, { provisionedPollers: { minimumPollers: 3 } })).toThrow(
        /sum 35 after adding/,
      );
      worker.addQueue(extra, { provisionedPollers: { minimumPollers: 2 } });
      expect(worker.totalMaxConcurrency).toBe(25);
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 200 },
        ScalingConfig: Match.absent(),
      });
    });
  });

  describe('validation rules', () => {
    it('rejects neither or both of entry and function', () => {
      expect(() => synth({ entry: undefined })).toThrow(
        /give exactly one of entry .* and function .* \(given neither\)/,
      );
      expect(() =>
        synth({}, (stack) => ({
          function: new lambda.Function(stack, 'Existing', {
            runtime: lambda.Runtime.NODEJS_24_X,
            handler: 'index.handler',
            code: lambda.Code.fromInline('exports.handler = async () => ({})'),
          }),
        })),
      ).toThrow(/\(given both\)/);
    });

    it('rejects new-function props next to an existing function', () => {
      expect(() =>
        synth({ entry: undefined, memorySize: 512 }, (stack) => ({
          function: new lambda.Function(stack, 'Existing', {
            runtime: lambda.Runtime.NODEJS_24_X,
            handler: 'index.handler',
            code: lambda.Code.fromInline('exports.handler = async () => ({})'),
          }),
        })),
      ).toThrow(/memorySize only apply to a new function/);
    });

    it('rejects a name the CLI could not address', () => {
      expect(() => synth({ name: 'my worker' })).toThrow(
        /name must be 1-64 of .* \(given "my worker"\)/,
      );
    });

    it.each([
      [1, /maxConcurrency must be an integer between 2 and 1000 \(given 1\)/],
      [1001, /maxConcurrency must be an integer between 2 and 1000 \(given 1001\)/],
      [2.5, /maxConcurrency must be an integer between 2 and 1000 \(given 2.5\)/],
    ])('rejects maxConcurrency %s', (maxConcurrency, message) => {
      expect(() => synth({ maxConcurrency })).toThrow(message);
    });

    it('rejects reserved concurrency below maxConcurrency', () => {
      expect(() => synth({ maxConcurrency: 10, reservedConcurrency: 4 })).toThrow(
        /reservedConcurrency must be at least the sum of the event sources' maxConcurrency \(given 4, maxConcurrency 10\).*Raise reservedConcurrency to 10/,
      );
    });

    it('rejects a visibility timeout below 6 x timeout + batching window', () => {
      expect(() =>
        synth({
          fifo: false,
          timeout: Duration.seconds(10),
          maxBatchingWindow: Duration.seconds(5),
          visibilityTimeout: Duration.seconds(60),
        }),
      ).toThrow(
        /visibilityTimeout must be at least 6 x timeout \+ maxBatchingWindow = 65 seconds \(given 60 seconds\)/,
      );
    });

    it('rejects a record budget that does not fit the timeout minus the answer margin', () => {
      expect(() =>
        synth({ timeout: Duration.seconds(3), recordBudget: Duration.seconds(3) }),
      ).toThrow(
        /recordBudget must be between 1 ms and the timeout minus 500 ms = 2500 ms \(given 3000 ms\)/,
      );
    });

    it('rejects maxReceiveCount below 5', () => {
      expect(() => synth({ maxReceiveCount: 3 })).toThrow(
        /maxReceiveCount must be at least 5 \(given 3\): throttled invocations count as receives/,
      );
    });

    it('rejects a batching window on a FIFO queue', () => {
      expect(() => synth({ maxBatchingWindow: Duration.seconds(1) })).toThrow(
        /maxBatchingWindow is not supported on FIFO queues \(given 1 second\)/,
      );
    });

    it('rejects fifo together with an existing queue', () => {
      expect(() =>
        synth({ fifo: true }, (stack) => ({ queue: new sqs.Queue(stack, 'Existing') })),
      ).toThrow(/fifo is ignored when an existing queue is given \(given fifo: true\)/);
    });

    it('rejects reserved LANES_* environment variables', () => {
      expect(() => synth({ environment: { LANES_DLQ_URL: 'x' } })).toThrow(
        /environment must not set LANES_DLQ_URL/,
      );
    });

    it('lists every broken rule in one error with the construct path', () => {
      expect(() => synth({ maxConcurrency: 1, maxReceiveCount: 1 })).toThrow(
        /Test\/Worker: invalid props:\n- maxConcurrency.*\n- maxReceiveCount/,
      );
    });
  });
});
