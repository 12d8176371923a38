#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { CoordinationStack } from './coordination-stack.ts';
import { PipelineStack } from './pipeline-stack.ts';
import { WorkflowsStack } from './workflows-stack.ts';

/**
 * The lanes reference app. Every reference stack is registered here; `npm run deploy`,
 * `npm run demo` and the integration tests deploy them all (`cdk deploy --all`).
 * Stack names start with `Lanes-` so outputs can be found by name.
 */
const app = new App();

// Stacks are added below, one line each (see the *-stack.ts files next to this one).
new PipelineStack(app, 'Lanes-Pipeline');
new WorkflowsStack(app, 'Lanes-Workflows');
new CoordinationStack(app, 'Lanes-Coordination');

app.synth();
