import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import {
  AlarmTopic,
  CoordinationTable,
  INGRESS_MODE,
  Ingress,
  PipelineDashboard,
  Worker,
} from 'lanes/constructs';
import { functionEntry, referenceFunctionProps } from './function-props.ts';

/** Output keys of Lanes-Pipeline; the demo, tests and benchmarks read them by these names. */
export const PIPELINE_OUTPUTS = {
  ORDERS_QUEUE_URL: 'OrdersQueueUrl',
  ORDERS_DLQ_URL: 'OrdersDlqUrl',
  ORDERS_FUNCTION_NAME: 'OrdersFunctionName',
  NOTIFICATIONS_QUEUE_URL: 'NotificationsQueueUrl',
  NOTIFICATIONS_DLQ_URL: 'NotificationsDlqUrl',
  NOTIFICATIONS_FUNCTION_NAME: 'NotificationsFunctionName',
  RESULTS_TABLE_NAME: 'ResultsTableName',
  /** Holds the workers' idempotency records. */
  COORDINATION_TABLE_NAME: 'CoordinationTableName',
  EVENT_BUS_NAME: 'EventBusName',
  LANE_COUNT: 'LaneCount',
  INGRESS_ROUTES: 'IngressRoutes',
} as const;

export interface PipelineStackProps extends StackProps {
  /** @default 8 */
  readonly lanes?: number;
}

/**
 * The reference pipeline: order events partitioned by customer. A hot-path worker (FIFO queue,
 * per-customer order) records each order with its per-customer ordinal in the results table; a
 * cold-path worker (standard queue, batching window) stores a notification per order event. Both
 * subscribe to `orders.`, so the ingress fans every order event out to the two groups, directly
 * (SQS) or over EventBridge lanes. Both apply each event's effect exactly once: the effect and the
 * event's idempotency record (in the stack's coordination table) commit in one transaction.
 */
export class PipelineStack extends Stack {
  public readonly results: dynamodb.Table;
  public readonly coordination: CoordinationTable;
  public readonly orders: Worker;
  public readonly notifications: Worker;
  public readonly ingress: Ingress;
  /** Every alarm of the pipeline publishes here. */
  public readonly alarms: AlarmTopic;
  public readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    this.alarms = new AlarmTopic(this, 'Alarms');
    const alarmAction = this.alarms.topic;

    this.results = new dynamodb.Table(this, 'Results', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Idempotency records of both workers (idem#orders#<eventId>, idem#notifications#<eventId>).
    this.coordination = new CoordinationTable(this, 'Coordination', {
      removalPolicy: RemovalPolicy.DESTROY,
      alarmAction,
    });
    const environment = {
      RESULTS_TABLE_NAME: this.results.tableName,
      COORDINATION_TABLE_NAME: this.coordination.table.tableName,
    };

    this.orders = new Worker(this, 'Orders', {
      name: 'orders',
      functionProps: referenceFunctionProps,
      entry: functionEntry('orders-worker'),
      environment: { ...environment, POWERTOOLS_SERVICE_NAME: 'orders' },
      batchSize: 10,
      maxConcurrency: 10,
      reservedConcurrency: 10,
      alarmAction,
    });
    this.notifications = new Worker(this, 'Notifications', {
      name: 'notifications',
      functionProps: referenceFunctionProps,
      entry: functionEntry('notifications-worker'),
      environment: { ...environment, POWERTOOLS_SERVICE_NAME: 'notifications' },
      fifo: false,
      batchSize: 50,
      maxBatchingWindow: Duration.seconds(1),
      maxConcurrency: 2,
      alarmAction,
    });
    this.results.grantReadWriteData(this.orders.function);
    this.results.grantWriteData(this.notifications.function);
    this.coordination.grantCoordination(this.orders.function);
    this.coordination.grantCoordination(this.notifications.function);

    this.ingress = new Ingress(this, 'Ingress', {
      mode: INGRESS_MODE.BOTH,
      lanes: props.lanes ?? 8,
      groups: [
        { name: 'orders', typePrefixes: ['orders.'], queue: this.orders.queue },
        { name: 'notifications', typePrefixes: ['orders.'], queue: this.notifications.queue },
      ],
      alarmAction,
    });
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      workers: [this.orders, this.notifications],
      ingresses: [this.ingress],
      coordinationTables: [this.coordination],
    });

    const outputs: Record<(typeof PIPELINE_OUTPUTS)[keyof typeof PIPELINE_OUTPUTS], string> = {
      OrdersQueueUrl: this.orders.queue.queueUrl,
      OrdersDlqUrl: this.orders.deadLetterQueue.queueUrl,
      OrdersFunctionName: this.orders.function.functionName,
      NotificationsQueueUrl: this.notifications.queue.queueUrl,
      NotificationsDlqUrl: this.notifications.deadLetterQueue.queueUrl,
      NotificationsFunctionName: this.notifications.function.functionName,
      ResultsTableName: this.results.tableName,
      CoordinationTableName: this.coordination.table.tableName,
      EventBusName: this.ingress.eventBus?.eventBusName ?? '',
      LaneCount: String(this.ingress.lanes),
      IngressRoutes: this.ingress.routesJson,
    };
    for (const [key, value] of Object.entries(outputs)) new CfnOutput(this, key, { value });
  }
}
