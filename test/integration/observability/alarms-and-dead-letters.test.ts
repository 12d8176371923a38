import { resolve } from 'node:path';
import { CloudFormationClient, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type Dimension,
  GetMetricStatisticsCommand,
} from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployAll } from '#cli/deploy.ts';
import { dlqCommand } from '#cli/dlq.ts';
import { STATE_DIR } from '#localstack/settings.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import { placeHold } from '#orders/domain/orders.ts';
import { listDeadLetters } from '#shared/dlq/list.ts';
import { Publisher, type PublishInput } from '#shared/ingress/publisher.ts';
import { routerFromOutputs } from '#shared/ingress/router.ts';
import { pipeline, runId, waitFor } from '#test/integration/ingress/support.ts';
import { stackOutput } from '#test/integration/support/outputs.ts';
import { testTarget } from '#test/integration/support/target.ts';
import { DLQ_TEST_INGRESS, DLQ_TEST_STACK } from './support/dlq-stack.ts';

const created = (customerId: string, n: number): PublishInput => ({
  type: 'orders.created',
  data: { orderId: `${customerId}-o${n}`, customerId, amountCents: 100 + n, currency: 'EUR' },
});

const cloudWatch = () => new CloudWatchClient({});

/** Sum of a metric over the last 15 minutes, as LocalStack's CloudWatch reports it. */
async function metricSum(namespace: string, metricName: string, dimensions: Dimension[]) {
  const now = Date.now();
  const { Datapoints = [] } = await cloudWatch().send(
    new GetMetricStatisticsCommand({
      Namespace: namespace,
      MetricName: metricName,
      Dimensions: dimensions,
      StartTime: new Date(now - 15 * 60_000),
      EndTime: new Date(now + 60_000),
      Period: 60,
      Statistics: ['Sum'],
    }),
  );
  return Datapoints.reduce((sum, point) => sum + (point.Sum ?? 0), 0);
}

/** The deployed alarm on `metricName`, found among the stack's alarms by its metric. */
async function alarmOn(metricName: string, dimension: Dimension) {
  const { MetricAlarms = [] } = await cloudWatch().send(new DescribeAlarmsCommand({}));
  const alarm = MetricAlarms.find(
    (a) =>
      a.MetricName === metricName &&
      a.Dimensions?.some((d) => d.Name === dimension.Name && d.Value === dimension.Value),
  );
  if (!alarm) throw new Error(`No alarm on ${metricName} ${dimension.Name}=${dimension.Value}`);
  return alarm;
}

describe('no silent event loss', () => {
  let outputs: Record<string, string>;

  beforeAll(async () => {
    const deployed = await deployAll(testTarget(), {
      stacks: [DLQ_TEST_STACK],
      app: {
        command: 'node bin/lanes-dev.mjs test/integration/observability/support/dlq-app.ts',
        output: resolve(STATE_DIR, 'cdk.out.dlq-test'),
      },
    });
    outputs = deployed[DLQ_TEST_STACK] as Record<string, string>;
  }, 600_000);

  afterAll(async () => {
    const cfn = new CloudFormationClient({});
    await cfn.send(new DeleteStackCommand({ StackName: DLQ_TEST_STACK })).catch(() => {});
  });

  it('an event EventBridge cannot deliver (its target queue is gone) lands in the Ingress target DLQ, and lanes dlq list shows it', {
    timeout: 180_000,
  }, async () => {
    await new SQSClient({}).send(new DeleteQueueCommand({ QueueUrl: outputs.DoomedQueueUrl }));
    const run = runId('undeliverable');
    const publisher = new Publisher({
      catalogue: ordersCatalogue,
      router: routerFromOutputs(outputs, 'eventbridge'),
    });
    const { sent, results } = await publisher.publish([
      created(`${run}-a`, 1),
      created(`${run}-b`, 1),
    ]);
    expect(sent).toBe(2);
    const ids = results.map((r) => r.envelope?.id as string);

    const letters = await waitFor(
      'both events in the target DLQ',
      async () => {
        const found = (await listDeadLetters(outputs.TargetDlqUrl as string)).filter((l) =>
          ids.includes(l.event?.id ?? ''),
        );
        return { done: found.length === 2 ? found : undefined, progress: `${found.length}/2` };
      },
      { timeoutMs: 60_000 },
    );
    for (const letter of letters) {
      expect(letter.reason).toMatchObject({
        source: 'eventbridge',
        errorName: expect.stringMatching(/NonExistentQueue|QueueDoesNotExist/),
        ruleArn: expect.stringContaining(':rule/'),
        targetArn: expect.stringContaining('Doomed'),
        retryAttempts: 0,
      });
      // The body is the EventBridge event; its detail is the lanes envelope.
      expect(JSON.parse(letter.body)).toMatchObject({ 'detail-type': 'orders.created' });
    }

    const lines: string[] = [];
    const status = await dlqCommand.run(
      ['list', '--ingress', DLQ_TEST_INGRESS, '--stack', DLQ_TEST_STACK],
      (line) => lines.push(line),
    );
    expect(status).toBe(0);
    const listing = lines.join('\n');
    for (const id of ids) expect(listing).toContain(`event ${id} (orders.created`);
    expect(listing).toMatch(/NonExistentQueue|QueueDoesNotExist/);

    // EventBridge's own account of it, which the Ingress alarms on.
    const ruleNames = JSON.parse(outputs.RuleNames as string) as string[];
    const sums = await waitFor(
      'InvocationsSentToDlq in CloudWatch',
      async () => {
        const perRule = await Promise.all(
          ruleNames.map((rule) =>
            metricSum('AWS/Events', 'InvocationsSentToDlq', [
              { Name: 'EventBusName', Value: outputs.EventBusName },
              { Name: 'RuleName', Value: rule },
            ]),
          ),
        );
        const total = perRule.reduce((a, b) => a + b, 0);
        return { done: total >= 2 ? total : undefined, progress: `${total}` };
      },
      { timeoutMs: 60_000 },
    );
    expect(sums).toBe(2);
  });

  it("a poison event raises the orders worker's failed-events alarm metric (EMF read back from CloudWatch)", {
    timeout: 240_000,
  }, async () => {
    const { outputs: pipelineOutputs, documentClient, tableName } = pipeline();
    const alarm = await alarmOn('EventsFailed', { Name: 'service', Value: 'orders' });
    expect(alarm.Namespace).toBe('lanes');
    expect(alarm.AlarmActions?.length).toBe(1);
    const dimensions = alarm.Dimensions ?? [];
    const before = await metricSum('lanes', 'EventsFailed', dimensions);

    const customer = `${runId('poison-metric')}-held`;
    await placeHold(customer, 'metric test', { client: documentClient, tableName });
    const publisher = new Publisher({
      catalogue: ordersCatalogue,
      router: routerFromOutputs(pipelineOutputs, 'direct'),
    });
    const { results } = await publisher.publish([created(customer, 1)]);
    const poisonId = results[0]?.envelope?.id;

    await waitFor(
      'the poison event in the DLQ',
      async () => {
        const letters = await listDeadLetters(pipelineOutputs.OrdersDlqUrl as string);
        const found = letters.find((l) => l.event?.id === poisonId);
        return { done: found, progress: `in DLQ: ${Boolean(found)}` };
      },
      { timeoutMs: 150_000 },
    );
    const after = await waitFor(
      'EventsFailed of service orders to rise',
      async () => {
        const sum = await metricSum('lanes', 'EventsFailed', dimensions);
        return { done: sum > before ? sum : undefined, progress: `${before} -> ${sum}` };
      },
      { timeoutMs: 60_000 },
    );
    // Every failed receive counts, up to maxReceiveCount (5); at least the one that dead-lettered it.
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(after - before).toBeGreaterThanOrEqual(alarm.Threshold ?? 1);
  });

  it('a handled schedule trigger is the heartbeat its missed-runs alarm watches', {
    timeout: 120_000,
  }, async () => {
    const alarm = await alarmOn('ScheduleHeartbeat', { Name: 'service', Value: 'sample' });
    expect(alarm).toMatchObject({
      Namespace: 'lanes',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    const dimensions = alarm.Dimensions ?? [];
    const before = await metricSum('lanes', 'ScheduleHeartbeat', dimensions);
    const invoked = await new LambdaClient({}).send(
      new InvokeCommand({
        FunctionName: stackOutput('Lanes-Coordination', 'SampleScheduleFunctionName'),
        Payload: Buffer.from(JSON.stringify({ source: 'lanes.test' })),
      }),
    );
    expect(invoked.FunctionError).toBeUndefined();
    const after = await waitFor(
      'ScheduleHeartbeat of the sample schedule to rise',
      async () => {
        const sum = await metricSum('lanes', 'ScheduleHeartbeat', dimensions);
        return { done: sum > before ? sum : undefined, progress: `${before} -> ${sum}` };
      },
      { timeoutMs: 60_000 },
    );
    expect(after).toBeGreaterThan(before);
  });
});
