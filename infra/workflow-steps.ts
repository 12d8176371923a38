import { Duration, Token } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { WORKFLOW_STEP_EVENT_TYPE } from '../shared/workflows/step-message.ts';
import { enforceRules } from './validation.ts';

/** Retry defaults of every step: exponential backoff with full jitter. */
export const DEFAULT_STEP_RETRY = {
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 3,
  maxDelay: Duration.seconds(30),
} as const;

/** Errors a direct Lambda task retries: the Lambda service's own transient failures, throttles. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
] as const;

/** Errors a queue-dispatched task retries: the worker went silent, or SQS refused the send. */
export const QUEUE_TRANSIENT_ERRORS = [
  'States.HeartbeatTimeout',
  'States.Timeout',
  'SQS.SdkClientException',
  'SQS.AmazonSQSException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
] as const;

/** Retry policy of a step; errors not listed are not retried (business errors go to Catch). */
export interface StepRetryOptions {
  /** @default - LAMBDA_TRANSIENT_ERRORS or QUEUE_TRANSIENT_ERRORS */
  readonly errors?: readonly string[];
  /** @default Duration.seconds(1) */
  readonly interval?: Duration;
  /** @default 2 */
  readonly backoffRate?: number;
  /** @default 3 */
  readonly maxAttempts?: number;
  /** @default Duration.seconds(30) */
  readonly maxDelay?: Duration;
}

interface CommonStepProps {
  /** Where the step's output goes in the state (`$.reserve`); keep it small. */
  readonly resultPath: string;
  /**
   * Retry policy; `false` turns retries off.
   * @default - 3 attempts, 1 s interval, backoff 2, max delay 30 s, full jitter, transient errors
   */
  readonly retry?: StepRetryOptions | false;
  /** @default - no comment */
  readonly comment?: string;
}

export interface LambdaStepProps extends CommonStepProps {
  readonly function: lambda.IFunction;
  /** @default - the Lambda function's own timeout */
  readonly taskTimeout?: Duration;
}

export interface QueueStepProps extends CommonStepProps {
  /** The worker queue; FIFO queues need content-based deduplication (the Worker construct sets it). */
  readonly queue: sqs.IQueue;
  /** The step name the worker dispatches on. */
  readonly step: string;
  /**
   * JSONPath of the business key: the message group on FIFO queues (steps of one key run in
   * order, keys in parallel up to the worker's concurrency) and the envelope's partition key.
   * @default '$.businessKey'
   */
  readonly businessKeyPath?: string;
  /**
   * The worker must heartbeat (SendTaskHeartbeat) within this interval or the task fails with
   * States.HeartbeatTimeout (retried). The clock starts when the message is sent, so time spent
   * waiting in the queue counts: size it above the queue's expected backlog age (the worker's
   * maxMessageAge), not only above the step's run time.
   * @default Duration.minutes(5)
   */
  readonly heartbeatTimeout?: Duration;
  /**
   * Longest time the task may wait for its answer, queueing included.
   * @default Duration.minutes(15)
   */
  readonly taskTimeout?: Duration;
}

function checkRetry(scope: Construct, retry: StepRetryOptions): void {
  const { backoffRate, maxAttempts, interval } = retry;
  enforceRules(scope, [
    {
      broken: backoffRate !== undefined && !Token.isUnresolved(backoffRate) && backoffRate < 1,
      message: () =>
        `retry.backoffRate must be at least 1 (given ${backoffRate}); use 1 for fixed intervals.`,
    },
    {
      broken:
        maxAttempts !== undefined &&
        !Token.isUnresolved(maxAttempts) &&
        (!Number.isInteger(maxAttempts) || maxAttempts < 0 || maxAttempts > 99),
      message: () =>
        `retry.maxAttempts must be an integer between 0 and 99 (given ${maxAttempts}); use retry: false for no retries.`,
    },
    {
      broken:
        interval !== undefined && !interval.isUnresolved() && interval.toMilliseconds() < 1_000,
      message: () =>
        `retry.interval must be at least 1 second (given ${interval?.toHumanString()}); Step Functions counts it in seconds.`,
    },
  ]);
}

function applyRetry(
  scope: Construct,
  task: sfn.TaskStateBase,
  retry: StepRetryOptions | false | undefined,
  defaultErrors: readonly string[],
): void {
  if (retry === false) return;
  const options = retry ?? {};
  checkRetry(scope, options);
  task.addRetry({
    errors: [...(options.errors ?? defaultErrors)],
    interval: options.interval ?? DEFAULT_STEP_RETRY.interval,
    backoffRate: options.backoffRate ?? DEFAULT_STEP_RETRY.backoffRate,
    maxAttempts: options.maxAttempts ?? DEFAULT_STEP_RETRY.maxAttempts,
    maxDelay: options.maxDelay ?? DEFAULT_STEP_RETRY.maxDelay,
    // Full jitter: retries of many executions failing together spread out instead of in waves.
    jitterStrategy: sfn.JitterType.FULL,
  });
}

/**
 * The function as LambdaInvoke should see it: CDK grants an unqualified function's invoke on
 * `<arn>` and `<arn>:*` (every version and alias); lambdaStep invokes the ARN it was given, so
 * the grant names that ARN only, and the state machine's role has no wildcard for it.
 */
function invokedExactly(fn: lambda.IFunction): lambda.IFunction {
  return new Proxy(fn, {
    get: (target, property, receiver) =>
      property === 'resourceArnsForGrantInvoke'
        ? [target.functionArn]
        : Reflect.get(target, property, receiver),
  });
}

/**
 * A direct Lambda task: the whole (small) state in, the function's result at `resultPath`,
 * transient Lambda errors retried with backoff and full jitter. The L2's own service-exception
 * retry is turned off so there is exactly one, jittered, retry policy.
 *
 * @example
 * const reserve = lambdaStep(this, 'Reserve', { function: reserveFn, resultPath: '$.reserve' });
 */
export function lambdaStep(
  scope: Construct,
  id: string,
  props: LambdaStepProps,
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: invokedExactly(props.function),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: props.resultPath,
    comment: props.comment,
    taskTimeout: props.taskTimeout ? sfn.Timeout.duration(props.taskTimeout) : undefined,
  });
  applyRetry(task, task, props.retry, LAMBDA_TRANSIENT_ERRORS);
  return task;
}

/**
 * A queue-dispatched task: sends the step, as a lanes envelope of type `workflow.step` carrying
 * the task token, to a worker queue and waits (`.waitForTaskToken`) until the worker answers with
 * SendTaskSuccess or SendTaskFailure. The step thereby obeys the queue's partitioning (message
 * group = business key) and the worker's concurrency. A silent worker fails the task after
 * `heartbeatTimeout`, which is retried like any transient error.
 *
 * @example
 * const charge = queueStep(this, 'Charge', { queue: worker.queue, step: 'charge', resultPath: '$.charge' });
 */
export function queueStep(
  scope: Construct,
  id: string,
  props: QueueStepProps,
): tasks.SqsSendMessage {
  const businessKeyPath = props.businessKeyPath ?? '$.businessKey';
  const heartbeatTimeout = props.heartbeatTimeout ?? Duration.minutes(5);
  const taskTimeout = props.taskTimeout ?? Duration.minutes(15);
  enforceRules(`${scope.node.path}/${id}`, [
    {
      broken: !businessKeyPath.startsWith('$.'),
      message: () =>
        `businessKeyPath must be a JSONPath starting with $. (given ${businessKeyPath}); e.g. $.businessKey.`,
    },
    {
      broken:
        !heartbeatTimeout.isUnresolved() &&
        !taskTimeout.isUnresolved() &&
        heartbeatTimeout.toSeconds() >= taskTimeout.toSeconds(),
      message: () =>
        `heartbeatTimeout must be shorter than taskTimeout (given ${heartbeatTimeout.toHumanString()} and ${taskTimeout.toHumanString()}); raise taskTimeout.`,
    },
    {
      broken: !/^[A-Za-z0-9_.-]{1,80}$/.test(props.step),
      message: () =>
        `step must be 1-80 of A-Z a-z 0-9 _ . - (given ${JSON.stringify(props.step)}); it names the step in the worker.`,
    },
  ]);

  const businessKey = sfn.JsonPath.stringAt(businessKeyPath);
  const task = new tasks.SqsSendMessage(scope, id, {
    queue: props.queue,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    messageBody: sfn.TaskInput.fromObject({
      id: sfn.JsonPath.uuid(),
      type: WORKFLOW_STEP_EVENT_TYPE,
      source: 'lanes.workflows',
      time: sfn.JsonPath.stringAt('$$.State.EnteredTime'),
      partitionKey: businessKey,
      sequence: sfn.JsonPath.numberAt('$$.State.RetryCount'),
      data: {
        taskToken: sfn.JsonPath.taskToken,
        step: props.step,
        businessKey,
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        input: sfn.JsonPath.objectAt('$'),
      },
    }),
    messageGroupId: props.queue.fifo ? businessKey : undefined,
    heartbeatTimeout: sfn.Timeout.duration(heartbeatTimeout),
    taskTimeout: sfn.Timeout.duration(taskTimeout),
    resultPath: props.resultPath,
    comment: props.comment,
  });
  applyRetry(task, task, props.retry, QUEUE_TRANSIENT_ERRORS);
  return task;
}
