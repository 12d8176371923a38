#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { FAULTS_STACK, FaultsStack } from './faults-stack.ts';

/** The CDK app of the fault suite's own stack (deployed by its global setup, `cdk --app`). */
const app = new App();
new FaultsStack(app, FAULTS_STACK);
app.synth();
