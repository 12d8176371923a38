import { fileURLToPath } from 'node:url';
import { App, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  CoordinationTable,
  Ingress,
  SingletonScheduledFunction,
  Worker,
  WorkerAutoscaling,
  Workflow,
} from 'lanes/constructs';

const source = (file: string) => fileURLToPath(new URL(`../src/${file}`, import.meta.url));

const app = new App();
const stack = new Stack(app, 'Consumer-Payments');

const table = new dynamodb.Table(stack, 'PaymentsTable', {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  removalPolicy: RemovalPolicy.DESTROY,
});
const payments = new Worker(stack, 'Payments', {
  name: 'payments',
  entry: source('payments-worker.ts'),
  environment: { PAYMENTS_TABLE_NAME: table.tableName },
  maxConcurrency: 2,
  canary: { percent: 10 }, // a deploy of new code sends 10 % to it for 5 minutes
});
table.grantWriteData(payments.function);

const ingress = new Ingress(stack, 'Ingress', {
  groups: [{ name: 'payments', typePrefixes: ['payments.'], queue: payments.queue }],
});

const coordination = new CoordinationTable(stack, 'Coordination', {
  removalPolicy: RemovalPolicy.DESTROY,
});
// lanes' own autoscaler function, bundled from the installed package.
const scaling = new WorkerAutoscaling(stack, 'PaymentsScaling', {
  worker: payments,
  table: coordination.table,
  minConcurrency: 2,
  maxConcurrency: 5,
  targetBacklogPerConcurrency: 50,
  scheduleFloors: [
    { minConcurrency: 3, from: '09:00', to: '17:00', timeZone: 'Europe/Berlin', days: ['MON'] },
  ],
});
new SingletonScheduledFunction(stack, 'Nightly', {
  schedule: events.Schedule.rate(Duration.hours(1)),
  table: coordination.table,
  entry: source('nightly.ts'),
});

const settle = new Workflow(stack, 'Settle', {
  name: 'settle',
  definition: new sfn.Pass(stack, 'Settled'),
});

new CfnOutput(stack, 'PaymentsTableName', { value: table.tableName });
new CfnOutput(stack, 'PaymentsScalerFunctionName', { value: scaling.function.functionName });
new CfnOutput(stack, 'IngressRoutes', { value: ingress.routesJson });
new CfnOutput(stack, 'SettleStateMachineArn', { value: settle.stateMachine.stateMachineArn });
app.synth();
