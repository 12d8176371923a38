#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { DLQ_TEST_STACK, IngressDlqTestStack } from './dlq-stack.ts';

/** The CDK app of the EventBridge dead-letter test's own stack (`cdk --app`). */
const app = new App();
new IngressDlqTestStack(app, DLQ_TEST_STACK);
app.synth();
