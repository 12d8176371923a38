import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The cdk-nag (AwsSolutions) findings the lanes constructs acknowledge, each with the AWS
 * requirement that makes it unavoidable. Acknowledged with CDK's own `Validations` API, which
 * cdk-nag 3 reads: apps need cdk-nag only if they run it. `docs/cdk-nag.md` lists them; a test
 * keeps that list and this one in step.
 */
export const NAG_ACKNOWLEDGEMENTS = {
  XRAY_WRITE: {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so AWS requires Resource "*". This policy holds only those two actions.',
  },
  STATE_MACHINE_LOGS_AND_XRAY: {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'Step Functions logging and tracing: the CloudWatch Logs vended-log-delivery actions (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and the X-Ray actions (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) do not support resource-level permissions, so AWS requires Resource "*" (Step Functions developer guide, "IAM policies for logging to CloudWatch Logs" and "X-Ray").',
  },
  EXECUTION_ARNS: {
    /** The ARN pattern is appended by {@link nagResourceFinding}. */
    id: 'AwsSolutions::AwsSolutions-IAM5',
    reason:
      "Reading Step Functions executions: states:DescribeExecution, DescribeStateMachineForExecution and GetExecutionHistory take an execution ARN, which ends in the execution's name, chosen at run time; AWS offers no narrower resource than this state machine's executions (execution:<machine>:*). This policy holds only those actions.",
  },
  TARGET_DLQ_HAS_NO_DLQ: {
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason:
      "This queue is the dead-letter queue of EventBridge rule targets (the target's DeadLetterConfig); cdk-nag only recognises DLQs named in a queue's RedrivePolicy. A dead-letter queue needs no dead-letter queue of its own.",
  },
  AUTOSCALER_READS: {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'Autoscaler reads: lambda:ListEventSourceMappings and cloudwatch:GetMetricData do not support resource-level permissions (Service Authorization Reference for AWS Lambda and Amazon CloudWatch), so AWS requires Resource "*". This policy holds only those two read actions; the writes are scoped to the one mapping and function.',
  },
  CODEDEPLOY_LAMBDA_ROLE: {
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
    reason:
      'CodeDeploy\'s service role for Lambda deployments: AWSCodeDeployRoleForLambdaLimited is the managed policy AWS documents for the Lambda compute platform (CodeDeploy user guide, "Create a service role for CodeDeploy"); AWS keeps it to what CodeDeploy needs to shift alias traffic, read the rollback alarms and run hooks, and a copy would drift from it.',
  },
} as const;

export type NagAcknowledgement = (typeof NAG_ACKNOWLEDGEMENTS)[keyof typeof NAG_ACKNOWLEDGEMENTS];

/** Acknowledges findings on one construct (and its children), with their reasons. */
export function acknowledgeNag(scope: IConstruct, ...acks: readonly NagAcknowledgement[]): void {
  Validations.of(scope).acknowledge(...acks.map((ack) => ({ id: ack.id, reason: ack.reason })));
}

/** One part of a resolved CloudFormation value as cdk-nag prints it in a finding id. */
function nagRendering(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === 'string') return `<${ref}>`;
    const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = (value as { 'Fn::Join'?: unknown })['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(nagRendering).join(String(join[0]));
    }
  }
  return JSON.stringify(value);
}

/**
 * The id of a wildcard-resource finding (`AwsSolutions-IAM5[Resource::<arn>]`) for a resource
 * that holds tokens, rendered the way cdk-nag renders it, so one finding is acknowledged and no
 * other.
 */
export function nagResourceFinding(
  scope: IConstruct,
  base: NagAcknowledgement,
  resource: string,
): NagAcknowledgement {
  const rendered = nagRendering(Stack.of(scope).resolve(resource));
  return { id: `${base.id}[Resource::${rendered}]`, reason: base.reason } as NagAcknowledgement;
}
