import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { AlarmTopic } from '#infra/alarms.ts';
import { INGRESS_MODE, Ingress } from '#infra/ingress.ts';
import { ruleMetricName } from '#infra/rule-monitoring.ts';

export const DLQ_TEST_STACK = 'Lanes-IngressDlqTest';
export const DLQ_TEST_INGRESS = 'undeliverable';

/**
 * An Ingress over EventBridge whose only group's queue the test deletes, so EventBridge cannot
 * deliver to it: the events must land in the Ingress's target DLQ.
 */
export class IngressDlqTestStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const doomed = new sqs.Queue(this, 'Doomed', {
      fifo: true,
      contentBasedDeduplication: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const ingress = new Ingress(this, 'Ingress', {
      name: DLQ_TEST_INGRESS,
      mode: INGRESS_MODE.EVENTBRIDGE,
      lanes: 2,
      groups: [{ name: 'doomed', typePrefixes: ['orders.'], queue: doomed }],
      alarmAction: new AlarmTopic(this, 'Alarms').topic,
    });
    const outputs = {
      EventBusName: ingress.eventBus?.eventBusName ?? '',
      LaneCount: String(ingress.lanes),
      IngressRoutes: ingress.routesJson,
      DoomedQueueUrl: doomed.queueUrl,
      TargetDlqUrl: ingress.deadLetterQueue?.queueUrl ?? '',
      RuleNames: Stack.of(this).toJsonString(
        Object.values(ingress.rules)
          .flat()
          .map((rule) => ruleMetricName(rule, ingress.eventBus)),
      ),
    };
    for (const [key, value] of Object.entries(outputs)) new CfnOutput(this, key, { value });
  }
}
