import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { AlarmTopic, newLanesFunction, PipelineDashboard, Worker } from 'lanes/constructs';
import { CLAIM_CHECK_ENV, PAYLOAD_LIMITS } from 'lanes/workflows';
import {
  FULFILMENT_KEYS,
  FULFILMENT_STEPS,
  type FulfilmentStep,
} from '../domain/fulfilment/model.ts';
import { FULFILMENT_ENV } from '../domain/fulfilment/runtime.ts';
import { DEFAULT_CHARGE_LIMIT_CENTS } from '../domain/fulfilment/steps.ts';
import { functionEntry, referenceFunctionProps } from './function-props.ts';
import {
  type FulfilmentFunctions,
  OrderFulfilmentWorkflow,
  STEP_DISPATCH,
} from './order-fulfilment-workflow.ts';

/** Output keys of Lanes-Workflows; the query command, tests and benchmark read them by name. */
export const WORKFLOWS_OUTPUTS = {
  TABLE_NAME: 'WorkflowTableName',
  DIRECT_STATE_MACHINE_ARN: 'DirectStateMachineArn',
  QUEUED_STATE_MACHINE_ARN: 'QueuedStateMachineArn',
  STARTER_QUEUE_URL: 'StarterQueueUrl',
  STARTER_DLQ_URL: 'StarterDlqUrl',
  STEP_QUEUE_URL: 'StepQueueUrl',
  STEP_DLQ_URL: 'StepDlqUrl',
  STEP_WORKER_FUNCTION_NAME: 'StepWorkerFunctionName',
  STEP_WORKER_MAX_CONCURRENCY: 'StepWorkerMaxConcurrency',
  CLAIM_CHECK_THRESHOLD_BYTES: 'ClaimCheckThresholdBytes',
  CHARGE_LIMIT_CENTS: 'ChargeLimitCents',
} as const;

export interface WorkflowsStackProps extends StackProps {
  /** @default PAYLOAD_LIMITS.DEFAULT_THRESHOLD_BYTES (16 KB) */
  readonly claimCheckThresholdBytes?: number;
  /** @default DEFAULT_CHARGE_LIMIT_CENTS */
  readonly chargeLimitCents?: number;
  /** Concurrency cap of the queue-dispatched step worker. @default 4 */
  readonly stepWorkerMaxConcurrency?: number;
}

/**
 * The reference workflows: order fulfilment twice, once with direct Lambda tasks and once with
 * every step dispatched through a FIFO worker queue (waitForTaskToken), sharing one table for
 * step records, status records and claim checks. A starter worker consumes
 * `fulfilment.requested` events and starts the direct workflow, one execution per order.
 */
export class WorkflowsStack extends Stack {
  public readonly table: dynamodb.Table;
  public readonly starter: Worker;
  public readonly stepWorker: Worker;
  public readonly direct: OrderFulfilmentWorkflow;
  public readonly queued: OrderFulfilmentWorkflow;
  public readonly alarms: AlarmTopic;
  public readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: WorkflowsStackProps = {}) {
    super(scope, id, props);
    this.alarms = new AlarmTopic(this, 'Alarms');
    const alarmAction = this.alarms.topic;
    const thresholdBytes = props.claimCheckThresholdBytes ?? PAYLOAD_LIMITS.DEFAULT_THRESHOLD_BYTES;
    const chargeLimitCents = props.chargeLimitCents ?? DEFAULT_CHARGE_LIMIT_CENTS;
    const stepWorkerMaxConcurrency = props.stepWorkerMaxConcurrency ?? 4;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const environment = {
      [FULFILMENT_ENV.TABLE_NAME]: this.table.tableName,
      [FULFILMENT_ENV.CLAIM_CHECK_THRESHOLD_BYTES]: String(thresholdBytes),
      [FULFILMENT_ENV.CHARGE_LIMIT_CENTS]: String(chargeLimitCents),
      // The step helpers claim-check large step outputs into the same table.
      [CLAIM_CHECK_ENV.TABLE_NAME]: this.table.tableName,
      [CLAIM_CHECK_ENV.SORT_KEY]: `sk=${FULFILMENT_KEYS.CLAIM_CHECK_SK}`,
    };

    const stepFunction = (step: FulfilmentStep) => {
      const fn = newLanesFunction(
        this,
        `${step[0]?.toUpperCase()}${step.slice(1)}Function`,
        {
          entry: functionEntry(`workflow-${step}`),
          handler: undefined,
          timeout: Duration.seconds(15),
          memorySize: 256,
          environment: { ...environment, POWERTOOLS_SERVICE_NAME: `workflow-${step}` },
        },
        referenceFunctionProps,
      );
      this.table.grantReadWriteData(fn);
      return fn;
    };
    const functions: FulfilmentFunctions = {
      reserve: stepFunction(FULFILMENT_STEPS.RESERVE),
      charge: stepFunction(FULFILMENT_STEPS.CHARGE),
      notify: stepFunction(FULFILMENT_STEPS.NOTIFY),
      release: stepFunction(FULFILMENT_STEPS.RELEASE),
      refund: stepFunction(FULFILMENT_STEPS.REFUND),
    };

    this.stepWorker = new Worker(this, 'StepWorker', {
      name: 'workflow-steps',
      functionProps: referenceFunctionProps,
      entry: functionEntry('workflow-step-worker'),
      environment: {
        ...environment,
        [FULFILMENT_ENV.HEARTBEAT_INTERVAL_MS]: '10000',
        POWERTOOLS_SERVICE_NAME: 'workflow-step-worker',
      },
      timeout: Duration.seconds(30),
      // Batches of up to 10 steps (of different orders: each order is its own message group)
      // share an invocation; measured locally, one step per invocation halved the throughput.
      batchSize: 10,
      maxConcurrency: stepWorkerMaxConcurrency,
      reservedConcurrency: stepWorkerMaxConcurrency,
      alarmAction,
    });
    this.table.grantReadWriteData(this.stepWorker.function);

    this.direct = new OrderFulfilmentWorkflow(this, 'Direct', {
      table: this.table,
      dispatch: STEP_DISPATCH.DIRECT,
      functions,
      alarmAction,
    });
    this.queued = new OrderFulfilmentWorkflow(this, 'Queued', {
      table: this.table,
      dispatch: STEP_DISPATCH.QUEUE,
      stepQueue: this.stepWorker.queue,
      // Counts from the send, so it must cover queue backlog (the worker's 5 minute message
      // age alarm) as well as the step; the worker heartbeats on pickup and every 10 s.
      heartbeatTimeout: Duration.minutes(5),
      alarmAction,
    });
    this.queued.stateMachine.grantTaskResponse(this.stepWorker.function);

    this.starter = new Worker(this, 'Starter', {
      name: 'workflow-starter',
      functionProps: referenceFunctionProps,
      entry: functionEntry('workflow-starter'),
      environment: {
        ...environment,
        [FULFILMENT_ENV.STATE_MACHINE_ARN]: this.direct.stateMachine.stateMachineArn,
        POWERTOOLS_SERVICE_NAME: 'workflow-starter',
      },
      batchSize: 10,
      maxConcurrency: 2,
      alarmAction,
    });
    this.table.grantReadWriteData(this.starter.function);
    this.direct.workflow.grantStartExecution(this.starter.function);
    // DescribeExecution tells a duplicate (same input) from a conflict (different input).
    this.direct.workflow.grantRead(this.starter.function);

    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      workers: [this.starter, this.stepWorker],
      workflows: [this.direct.workflow, this.queued.workflow],
    });

    const outputs: Record<(typeof WORKFLOWS_OUTPUTS)[keyof typeof WORKFLOWS_OUTPUTS], string> = {
      WorkflowTableName: this.table.tableName,
      DirectStateMachineArn: this.direct.stateMachine.stateMachineArn,
      QueuedStateMachineArn: this.queued.stateMachine.stateMachineArn,
      StarterQueueUrl: this.starter.queue.queueUrl,
      StarterDlqUrl: this.starter.deadLetterQueue.queueUrl,
      StepQueueUrl: this.stepWorker.queue.queueUrl,
      StepDlqUrl: this.stepWorker.deadLetterQueue.queueUrl,
      StepWorkerFunctionName: this.stepWorker.function.functionName,
      StepWorkerMaxConcurrency: String(stepWorkerMaxConcurrency),
      ClaimCheckThresholdBytes: String(thresholdBytes),
      ChargeLimitCents: String(chargeLimitCents),
    };
    for (const [key, value] of Object.entries(outputs)) new CfnOutput(this, key, { value });
  }
}
