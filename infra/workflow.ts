import { Arn, ArnFormat, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { type AlarmDestinationProps, createAlarm, routeAlarms } from './alarms.ts';
import { describeForDiscovery } from './discovery.ts';
import { DEFAULT_LOG_RETENTION } from './function-props.ts';
import { acknowledgeNag, NAG_ACKNOWLEDGEMENTS, nagResourceFinding } from './nag.ts';
import { createTableThrottleAlarm } from './table-monitoring.ts';
import { enforceRules, type ValidationRule } from './validation.ts';

/** Step Functions workflow types. */
export const WORKFLOW_TYPE = { STANDARD: 'STANDARD', EXPRESS: 'EXPRESS' } as const;
export type WorkflowType = (typeof WORKFLOW_TYPE)[keyof typeof WORKFLOW_TYPE];

/** Status values the Workflow writes to its status table. */
export const WORKFLOW_STATUS = { SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED' } as const;

/** Limits the validation rules enforce (AWS documentation). */
export const WORKFLOW_LIMITS = {
  EXPRESS_MAX_DURATION_SECONDS: 300,
  STANDARD_MAX_DURATION_SECONDS: 365 * 24 * 3600,
} as const;

/** Thresholds of a workflow's alarms, per minute; each fires at or above its threshold. */
export interface WorkflowAlarmThresholds {
  /** Executions that failed (`ExecutionsFailed`). @default 1 */
  readonly failedExecutions?: number;
  /** Executions that ran past the workflow's timeout (`ExecutionsTimedOut`). @default 1 */
  readonly timedOutExecutions?: number;
  /** Throttled state transitions (`ExecutionThrottled`). @default 1 */
  readonly throttledExecutions?: number;
  /** Throttled reads and writes on the status table the workflow created. @default 1 */
  readonly statusTableThrottles?: number;
}

/** The alarms of a workflow. */
export interface WorkflowAlarms {
  readonly failed: cloudwatch.Alarm;
  readonly timedOut: cloudwatch.Alarm;
  readonly throttled: cloudwatch.Alarm;
  /** Only when the Workflow created its status table. */
  readonly statusTableThrottles?: cloudwatch.Alarm;
}

export interface WorkflowProps extends AlarmDestinationProps {
  /**
   * Name of the workflow in `lanes workflow show` (searched by business key).
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * What happens to the status table and the log group the Workflow creates when they leave the
   * stack.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /** The workflow's steps (JSONPath states); their errors that escape reach the failure path. */
  readonly definition: sfn.IChainable;
  /** @default - CloudFormation generates a name */
  readonly stateMachineName?: string;
  /**
   * STANDARD (exactly-once steps, up to a year, names idempotent for 90 days) or EXPRESS
   * (at-least-once, up to 5 minutes, cheaper at high volume, no name deduplication).
   * @default WORKFLOW_TYPE.STANDARD
   */
  readonly type?: WorkflowType;
  /**
   * Longest run of one execution.
   * @default - Duration.hours(1) for STANDARD, Duration.minutes(5) for EXPRESS
   */
  readonly timeout?: Duration;
  /**
   * Table the workflow records its final status in (SUCCEEDED, or FAILED with error and cause):
   * string partition key `pk` and string sort key `sk`.
   * @default - a new table (pk, sk; on-demand; removed with the stack)
   */
  readonly statusTable?: dynamodb.ITable;
  /**
   * JSONPath of the business key in the execution input; the status item is
   * `pk = workflow#<business key>`, `sk = status`.
   * @default '$.businessKey'
   */
  readonly businessKeyPath?: string;
  /**
   * Execution log level (state inputs and outputs only with `includeExecutionData`).
   * @default sfn.LogLevel.ALL: every state's entry and exit, so a failure can be followed in the
   * logs; EXPRESS workflows have no other history
   */
  readonly logLevel?: sfn.LogLevel;
  /**
   * Log state inputs and outputs too (they may hold personal data).
   * @default false
   */
  readonly includeExecutionData?: boolean;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** X-Ray tracing of the executions. @default true */
  readonly tracingEnabled?: boolean;
  /** @default - see WorkflowAlarmThresholds: 1 of each per minute */
  readonly alarmThresholds?: WorkflowAlarmThresholds;
  /**
   * Point-in-time recovery of the status table the Workflow creates.
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
}

/**
 * A Step Functions state machine (CDK L2, JSONPath) around a definition, with the parts every
 * workflow needs: the steps run inside a Parallel whose Catch records the failure (error and
 * cause) in a status table and ends in a Fail state that carries the same error and cause, a
 * success record, execution logging, and a timeout. Build steps with `lambdaStep` and
 * `queueStep` (retries with backoff and full jitter).
 *
 * @example
 * const workflow = new Workflow(this, 'Orders', {
 *   definition: lambdaStep(this, 'Reserve', { function: reserve, resultPath: '$.reserve' })
 *     .next(queueStep(this, 'Charge', { queue: worker.queue, step: 'charge', resultPath: '$.charge' })),
 * });
 * workflow.stateMachine.grantStartExecution(starter.function);
 */
export class Workflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly statusTable: dynamodb.ITable;
  public readonly logGroup: logs.LogGroup;
  public readonly type: WorkflowType;
  public readonly alarms: WorkflowAlarms;
  /** The workflow's name in the `lanes` CLI. */
  public readonly name: string;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    this.type = props.type ?? WORKFLOW_TYPE.STANDARD;
    const express = this.type === WORKFLOW_TYPE.EXPRESS;
    const timeout = props.timeout ?? (express ? Duration.minutes(5) : Duration.hours(1));
    const businessKeyPath = props.businessKeyPath ?? '$.businessKey';
    this.#validate(props, timeout, businessKeyPath);

    this.statusTable =
      props.statusTable ??
      new dynamodb.Table(this, 'StatusTable', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: {
          pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true,
        },
        removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      });

    const statusItem = (status: string, extra: Record<string, tasks.DynamoAttributeValue>) => ({
      pk: tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.format('workflow#{}', sfn.JsonPath.stringAt(businessKeyPath)),
      ),
      sk: tasks.DynamoAttributeValue.fromString('status'),
      status: tasks.DynamoAttributeValue.fromString(status),
      executionArn: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Id')),
      recordedAt: tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.stringAt('$$.State.EnteredTime'),
      ),
      ...extra,
    });

    // Parallel as try/catch: one Catch covers every state of the definition, including a Fail
    // state the definition ends a compensation path with.
    const run = new sfn.Parallel(this, 'Run', { outputPath: '$[0]' });
    run.branch(props.definition);
    const recordFailure = new tasks.DynamoPutItem(this, 'RecordFailure', {
      table: this.statusTable,
      item: statusItem(WORKFLOW_STATUS.FAILED, {
        error: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.failure.Error')),
        cause: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.failure.Cause')),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const failed = new sfn.Fail(this, 'Failed', {
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });
    run.addCatch(recordFailure.next(failed), { resultPath: '$.failure' });
    const recordSuccess = new tasks.DynamoPutItem(this, 'RecordSuccess', {
      table: this.statusTable,
      item: statusItem(WORKFLOW_STATUS.SUCCEEDED, {}),
      resultPath: sfn.JsonPath.DISCARD,
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: express ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      definitionBody: sfn.DefinitionBody.fromChainable(
        run.next(recordSuccess).next(new sfn.Succeed(this, 'Succeeded')),
      ),
      timeout,
      tracingEnabled: props.tracingEnabled ?? true,
      logs: {
        destination: this.logGroup,
        level: props.logLevel ?? sfn.LogLevel.ALL,
        includeExecutionData: props.includeExecutionData ?? false,
      },
    });
    const defaultPolicy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy)
      acknowledgeNag(defaultPolicy, NAG_ACKNOWLEDGEMENTS.STATE_MACHINE_LOGS_AND_XRAY);
    this.name = props.name ?? id;
    this.alarms = this.#createAlarms(props);
    routeAlarms(this, Object.values(this.alarms), props.alarmAction);
    describeForDiscovery(this, {
      kind: 'workflow',
      name: this.name,
      stateMachineArn: this.stateMachine.stateMachineArn,
    });
  }

  /** Lets `grantee` start executions (the starter worker). */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /**
   * Lets `grantee` read the state machine's executions and their history (the query command,
   * a starter telling a duplicate from a conflict). Narrower than the state machine's own
   * grantRead (no activities, no Resource "*"): the execution actions name this machine's
   * executions, `execution:<machine>:*`, in a policy of their own when the grantee is a role.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const machineArn = this.stateMachine.stateMachineArn;
    const stack = Stack.of(this);
    const machineName = Arn.split(machineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${machineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const machineGrant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['states:DescribeStateMachine', 'states:ListExecutions'],
      resourceArns: [machineArn],
    });
    const executionActions = [
      'states:DescribeExecution',
      'states:DescribeStateMachineForExecution',
      'states:GetExecutionHistory',
    ];
    const principal = grantee.grantPrincipal;
    if (!(principal instanceof iam.Role)) {
      return machineGrant.combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: executionActions,
          resourceArns: [executions],
        }),
      );
    }
    const policy = new iam.Policy(this, `ReadExecutions${Names.nodeUniqueId(principal.node)}`, {
      statements: [new iam.PolicyStatement({ actions: executionActions, resources: [executions] })],
    });
    policy.attachToRole(principal);
    acknowledgeNag(
      policy,
      nagResourceFinding(this, NAG_ACKNOWLEDGEMENTS.EXECUTION_ARNS, executions),
    );
    return machineGrant;
  }

  #createAlarms(props: WorkflowProps): WorkflowAlarms {
    const t = props.alarmThresholds ?? {};
    const period = Duration.minutes(1);
    const machine = this.stateMachine;
    return {
      failed: createAlarm(this, 'FailedAlarm', {
        metric: machine.metricFailed({ period, statistic: 'Sum' }),
        threshold: t.failedExecutions ?? 1,
        description: `Executions of ${this.node.path} failed: lanes workflow show <key> gives the error and cause.`,
      }),
      timedOut: createAlarm(this, 'TimedOutAlarm', {
        metric: machine.metricTimedOut({ period, statistic: 'Sum' }),
        threshold: t.timedOutExecutions ?? 1,
        description: `Executions of ${this.node.path} ran past their timeout.`,
      }),
      throttled: createAlarm(this, 'ThrottledAlarm', {
        metric: machine.metricThrottled({ period, statistic: 'Sum' }),
        threshold: t.throttledExecutions ?? 1,
        description: `Step Functions throttled ${this.node.path}: raise the account's quota or start fewer executions at once.`,
      }),
      ...(props.statusTable
        ? {}
        : {
            statusTableThrottles: createTableThrottleAlarm(
              this,
              'StatusTableThrottlesAlarm',
              this.statusTable,
              t.statusTableThrottles ?? 1,
              'workflow status records',
            ),
          }),
    };
  }

  #validate(props: WorkflowProps, timeout: Duration, businessKeyPath: string): void {
    const max =
      this.type === WORKFLOW_TYPE.EXPRESS
        ? WORKFLOW_LIMITS.EXPRESS_MAX_DURATION_SECONDS
        : WORKFLOW_LIMITS.STANDARD_MAX_DURATION_SECONDS;
    const rules: ValidationRule[] = [
      {
        broken: !Object.values(WORKFLOW_TYPE).includes(this.type),
        message: () => `type must be STANDARD or EXPRESS (given ${this.type})`,
      },
      {
        broken: !timeout.isUnresolved() && (timeout.toSeconds() < 1 || timeout.toSeconds() > max),
        message: () =>
          `timeout must be between 1 second and ${max} seconds for ${this.type} workflows (given ${timeout.toHumanString()}); use STANDARD for longer workflows`,
      },
      {
        broken: !businessKeyPath.startsWith('$.'),
        message: () =>
          `businessKeyPath must be a JSONPath starting with $. (given ${businessKeyPath})`,
      },
      {
        broken: props.includeExecutionData === true && props.logLevel === sfn.LogLevel.OFF,
        message: () =>
          'includeExecutionData has no effect with logLevel OFF (given both); drop includeExecutionData or pick a log level',
      },
    ];
    enforceRules(this, rules);
  }
}
