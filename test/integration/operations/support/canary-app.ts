#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { App, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Worker } from '#infra/worker.ts';

/** The canary test's stack: one canary worker (10 % for an hour) and the table it records to. */
export const CANARY_STACK = 'Lanes-Canary-Test';
/** The code version the worker is deployed with (a new value is a new Lambda version). */
export const CODE_VERSION_ENV = 'LANES_CANARY_CODE_VERSION';

const app = new App();
const stack = new Stack(app, CANARY_STACK);
const table = new dynamodb.Table(stack, 'Versions', {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  removalPolicy: RemovalPolicy.DESTROY,
});
const worker = new Worker(stack, 'Canary', {
  name: 'canary',
  entry: fileURLToPath(new URL('./version-handler.ts', import.meta.url)),
  fifo: false,
  batchSize: 1,
  maxConcurrency: 10,
  removalPolicy: RemovalPolicy.DESTROY,
  environment: {
    VERSIONS_TABLE: table.tableName,
    CODE_VERSION: process.env[CODE_VERSION_ENV] ?? '1',
  },
  canary: { percent: 10, interval: Duration.hours(1) },
});
table.grantWriteData(worker.function);
new CfnOutput(stack, 'VersionsTableName', { value: table.tableName });
new CfnOutput(stack, 'QueueUrl', { value: worker.queue.queueUrl });
app.synth();
