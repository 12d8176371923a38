import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';

/**
 * Where a construct's alarms go: an SNS topic (wrapped in an `SnsAction`) or any CloudWatch alarm
 * action (`actions.LambdaAction`, an SSM OpsItem action, ...).
 */
export type AlarmDestination = cloudwatch.IAlarmAction | sns.ITopic;

/** The alarm options every lanes construct takes. */
export interface AlarmDestinationProps {
  /**
   * Action of every alarm the construct creates, for the alarm state and for the return to OK
   * (an SNS topic, e.g. `new AlarmTopic(this, 'Alarms').topic`, or any `IAlarmAction`).
   * @default - alarms without actions, and a synth warning saying so: they reach nobody
   */
  readonly alarmAction?: AlarmDestination;
}

/** Default period of the lanes alarms: one minute, the finest standard-resolution period. */
export const DEFAULT_ALARM_PERIOD = Duration.minutes(1);

function isTopic(destination: AlarmDestination): destination is sns.ITopic {
  return 'topicArn' in destination;
}

/** The CloudWatch action for a destination (an SNS topic becomes an `SnsAction`). */
export function toAlarmAction(destination: AlarmDestination): cloudwatch.IAlarmAction {
  return isTopic(destination) ? new actions.SnsAction(destination) : destination;
}

/** One alarm a construct creates: the metric, its threshold and why it matters. */
export interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  /** @default GREATER_THAN_OR_EQUAL_TO_THRESHOLD */
  readonly comparison?: cloudwatch.ComparisonOperator;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default NOT_BREACHING: no data means nothing happened */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /** What the alarm means and what to do about it (shown in the notification). */
  readonly description: string;
}

/** Creates one alarm from its spec. */
export function createAlarm(scope: Construct, id: string, spec: AlarmSpec): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    metric: spec.metric,
    threshold: spec.threshold,
    evaluationPeriods: spec.evaluationPeriods ?? 1,
    comparisonOperator:
      spec.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: spec.description,
  });
}

/**
 * Gives every alarm the destination as its alarm and OK action, or warns at synth time that the
 * construct's alarms reach nobody.
 */
export function routeAlarms(
  scope: IConstruct,
  alarms: Iterable<cloudwatch.Alarm>,
  destination: AlarmDestination | undefined,
): void {
  const list = [...alarms];
  if (list.length === 0) return;
  if (!destination) {
    Annotations.of(scope).addWarningV2(
      'lanes:alarmsWithoutAction',
      `${list.length} alarm(s) of ${scope.node.path} have no action, so they reach nobody: pass alarmAction (an SNS topic such as new AlarmTopic(this, 'Alarms').topic, or any IAlarmAction).`,
    );
    return;
  }
  const action = toAlarmAction(destination);
  for (const alarm of list) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}

export interface AlarmTopicProps {
  /** @default - a name CloudFormation generates */
  readonly topicName?: string;
  /** E-mail addresses subscribed to the topic (each confirms once). @default - none */
  readonly emails?: readonly string[];
  /**
   * What happens to the topic's KMS key when it leaves the stack (the key's own 7-30 day deletion
   * window still applies).
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The SNS topic a pipeline's alarms publish to: encrypted with its own KMS key (rotated yearly)
 * whose policy lets CloudWatch use it, since CloudWatch cannot publish alarm notifications to a
 * topic encrypted with the AWS managed key (`alias/aws/sns`); only HTTPS publishers; CloudWatch
 * alarms of this account may publish.
 *
 * @example
 * const alarms = new AlarmTopic(this, 'Alarms', { emails: ['oncall@example.com'] });
 * new Worker(this, 'Orders', { entry, alarmAction: alarms.topic });
 */
export class AlarmTopic extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const { account, region, partition } = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the alarm topic ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    const fromAlarmsOfThisAccount = {
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
    };
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy, "*" is this key.
        resources: ['*'],
        conditions: fromAlarmsOfThisAccount,
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromAlarmsOfThisAccount,
      }),
    );
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}
