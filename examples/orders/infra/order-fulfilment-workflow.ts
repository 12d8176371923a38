import type { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  type AlarmDestination,
  LAMBDA_TRANSIENT_ERRORS,
  lambdaStep,
  queueStep,
  type StepRetryOptions,
  Workflow,
  type WorkflowType,
} from 'lanes/constructs';
import { FULFILMENT_STEPS, type FulfilmentStep } from '../domain/fulfilment/model.ts';

/** How the reference workflow runs its steps. */
export const STEP_DISPATCH = { DIRECT: 'direct', QUEUE: 'queue' } as const;
export type StepDispatch = (typeof STEP_DISPATCH)[keyof typeof STEP_DISPATCH];

/** One Lambda function per step, for direct dispatch. */
export type FulfilmentFunctions = Readonly<Record<FulfilmentStep, lambda.IFunction>>;

export interface OrderFulfilmentWorkflowProps {
  /** Table for the status record (pk, sk strings); usually the one the steps write to. */
  readonly table: dynamodb.ITable;
  /** Direct Lambda tasks or tasks sent to a worker queue. */
  readonly dispatch: StepDispatch;
  /**
   * Step functions (required for direct dispatch, not allowed for queue dispatch).
   * @default - none
   */
  readonly functions?: FulfilmentFunctions;
  /**
   * The step worker's queue (required for queue dispatch, not allowed for direct dispatch).
   * @default - none
   */
  readonly stepQueue?: sqs.IQueue;
  /** @default - Workflow's default (STANDARD) */
  readonly type?: WorkflowType;
  /** @default - the step defaults (3 attempts, backoff 2, full jitter) */
  readonly retry?: StepRetryOptions;
  /** Queue dispatch only. @default Duration.minutes(5) (see QueueStepProps.heartbeatTimeout) */
  readonly heartbeatTimeout?: Duration;
  /** @default - CloudFormation generates a name */
  readonly stateMachineName?: string;
  /** Where the workflow's alarms go. @default - alarms without actions */
  readonly alarmAction?: AlarmDestination;
}

/**
 * The reference workflow, order fulfilment: Reserve, Charge, Notify. A failed Charge releases
 * the reservation; a failed Notify refunds the payment and then releases. Both compensation
 * paths end in a Fail state carrying the original error and cause, which the Workflow's catch
 * records as the final status (the reason). State holds only small fields and claim-check
 * references.
 *
 * @example
 * new OrderFulfilmentWorkflow(this, 'Direct', { table, dispatch: 'direct', functions });
 * new OrderFulfilmentWorkflow(this, 'Queued', { table, dispatch: 'queue', stepQueue: worker.queue });
 */
export class OrderFulfilmentWorkflow extends Construct {
  public readonly workflow: Workflow;
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: OrderFulfilmentWorkflowProps) {
    super(scope, id);
    const direct = props.dispatch === STEP_DISPATCH.DIRECT;
    if (direct && (!props.functions || props.stepQueue)) {
      throw new Error(
        `${this.node.path}: dispatch 'direct' needs functions and no stepQueue (given functions: ${props.functions ? 'yes' : 'no'}, stepQueue: ${props.stepQueue ? 'yes' : 'no'}).`,
      );
    }
    if (!direct && (!props.stepQueue || props.functions)) {
      throw new Error(
        `${this.node.path}: dispatch 'queue' needs stepQueue and no functions (given stepQueue: ${props.stepQueue ? 'yes' : 'no'}, functions: ${props.functions ? 'yes' : 'no'}).`,
      );
    }

    const step = (stateId: string, name: FulfilmentStep, resultPath: string) =>
      direct
        ? lambdaStep(this, stateId, {
            // Checked above: direct dispatch has functions.
            function: (props.functions as FulfilmentFunctions)[name],
            resultPath,
            // Every step writes items keyed by the order, so running it again is harmless: a
            // function that timed out (Sandbox.Timedout) is retried like a Lambda service error.
            retry: props.retry ?? { errors: [...LAMBDA_TRANSIENT_ERRORS, 'Sandbox.Timedout'] },
          })
        : queueStep(this, stateId, {
            queue: props.stepQueue as sqs.IQueue,
            step: name,
            resultPath,
            retry: props.retry,
            heartbeatTimeout: props.heartbeatTimeout,
          });

    const reserve = step('Reserve', FULFILMENT_STEPS.RESERVE, '$.reserve');
    const charge = step('Charge', FULFILMENT_STEPS.CHARGE, '$.charge');
    const notify = step('Notify', FULFILMENT_STEPS.NOTIFY, '$.notify');
    const compensated = new sfn.Fail(this, 'Compensated', {
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });
    charge.addCatch(
      step('ReleaseAfterChargeFailed', FULFILMENT_STEPS.RELEASE, '$.release').next(compensated),
      { resultPath: '$.failure' },
    );
    notify.addCatch(
      step('Refund', FULFILMENT_STEPS.REFUND, '$.refund')
        .next(step('ReleaseAfterNotifyFailed', FULFILMENT_STEPS.RELEASE, '$.release'))
        .next(compensated),
      { resultPath: '$.failure' },
    );

    this.workflow = new Workflow(this, 'Workflow', {
      name: `order-fulfilment-${props.dispatch}`,
      definition: reserve.next(charge).next(notify),
      statusTable: props.table,
      type: props.type,
      stateMachineName: props.stateMachineName,
      alarmAction: props.alarmAction,
    });
    this.stateMachine = this.workflow.stateMachine;
  }
}
