import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AlarmTopic } from '#infra/alarms.ts';
import { WorkerAutoscaling } from '#infra/autoscaling.ts';
import { SingletonScheduledFunction } from '#infra/coordination-schedule.ts';
import { CoordinationTable } from '#infra/coordination-table.ts';
import { PipelineDashboard } from '#infra/dashboard.ts';
import { newLanesFunction } from '#infra/function-props.ts';
import { INGRESS_MODE, Ingress } from '#infra/ingress.ts';
import { Worker } from '#infra/worker.ts';
import { Workflow } from '#infra/workflow.ts';
import { lambdaStep, queueStep } from '#infra/workflow-steps.ts';
import { CoordinationStack } from '#orders/infra/coordination-stack.ts';
import { PipelineStack } from '#orders/infra/pipeline-stack.ts';
import { WorkflowsStack } from '#orders/infra/workflows-stack.ts';

const entry = fileURLToPath(new URL('../fixtures/handler.ts', import.meta.url));
const cdkJson = fileURLToPath(new URL('../../../cdk.json', import.meta.url));

/** The feature flags `cdk.json` gives the reference app, so templates match what deploys. */
export function appContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context: Record<string, unknown> })
    .context;
}

/** The reference app's stacks, as `examples/orders/infra/app.ts` builds them. */
export function referenceStacks(app = new App({ context: appContext() })): Stack[] {
  return [
    new PipelineStack(app, 'Lanes-Pipeline'),
    new WorkflowsStack(app, 'Lanes-Workflows'),
    new CoordinationStack(app, 'Lanes-Coordination'),
  ];
}

/**
 * A stack with every lanes construct on its defaults (only what each one requires is given):
 * what an app gets before it configures anything; `withAlarmTopic` also gives each one the
 * stack's AlarmTopic as its alarmAction.
 */
export function everyConstructStack(
  app = new App({ context: appContext() }),
  options: { readonly id?: string; readonly withAlarmTopic?: boolean } = {},
): Stack {
  const stack = new Stack(app, options.id ?? 'Lanes-EveryConstruct');
  const topic = new AlarmTopic(stack, 'Alarms').topic;
  // The one prop beyond the defaults, when asked for: where the alarms go.
  const alarms = options.withAlarmTopic ? { alarmAction: topic } : {};
  const worker = new Worker(stack, 'Worker', { entry, ...alarms });
  const standardWorker = new Worker(stack, 'StandardWorker', { entry, fifo: false, ...alarms });
  const canaryWorker = new Worker(stack, 'CanaryWorker', {
    entry,
    fifo: false,
    canary: { percent: 10 },
    ...alarms,
  });
  const ingress = new Ingress(stack, 'Ingress', {
    ...alarms,
    mode: INGRESS_MODE.BOTH,
    groups: [
      { name: 'fifo', typePrefixes: ['a.'], queue: worker.queue },
      { name: 'standard', typePrefixes: ['a.'], queue: standardWorker.queue },
    ],
  });
  const fairIngress = new Ingress(stack, 'FairIngress', {
    ...alarms,
    groups: [{ name: 'tenants', typePrefixes: ['t.'], queue: canaryWorker.queue, fair: true }],
  });
  const coordination = new CoordinationTable(stack, 'Coordination', alarms);
  new WorkerAutoscaling(stack, 'Scaling', {
    ...alarms,
    worker: standardWorker,
    table: coordination.table,
    minConcurrency: 2,
    maxConcurrency: 20,
    targetBacklogPerConcurrency: 100,
  });
  const schedule = new SingletonScheduledFunction(stack, 'Schedule', {
    ...alarms,
    schedule: events.Schedule.rate(Duration.minutes(5)),
    table: coordination.table,
    entry,
  });
  const stepFunction = newLanesFunction(stack, 'StepFunction', {
    entry,
    handler: undefined,
    timeout: Duration.seconds(10),
    memorySize: undefined,
    environment: {},
  });
  const workflow = new Workflow(stack, 'Workflow', {
    ...alarms,
    definition: lambdaStep(stack, 'Direct', { function: stepFunction, resultPath: '$.direct' })
      .next(queueStep(stack, 'Queued', { queue: worker.queue, step: 'q', resultPath: '$.q' }))
      .next(new sfn.Succeed(stack, 'Done')),
  });
  new PipelineDashboard(stack, 'Dashboard', {
    workers: [worker, standardWorker, canaryWorker],
    ingresses: [ingress, fairIngress],
    workflows: [workflow],
    schedules: [schedule],
    coordinationTables: [coordination],
  });
  return stack;
}
