import { Duration, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { canaryDescription } from '../shared/scaling/canary-marker.ts';
import { acknowledgeNag, NAG_ACKNOWLEDGEMENTS } from './nag.ts';
import type { ValidationRule } from './validation.ts';

/**
 * Canary releases of a worker (the Worker's `canary` prop): `percent` of the invocations go to
 * the new version for `interval`, then all of them, unless an alarm rolls it back.
 */
export interface WorkerCanaryProps {
  /** Percent of invocations the new version gets during the canary, an integer 1..99. */
  readonly percent: number;
  /** How long the canary runs before all traffic shifts, whole minutes. @default Duration.minutes(5) */
  readonly interval?: Duration;
  /** Name of the alias the mappings invoke. @default 'live' */
  readonly aliasName?: string;
  /**
   * More alarms that roll a deployment back, besides every alarm of the worker (`Worker.alarms`:
   * failed and dead-lettered events, DLQ depth, oldest message, errors, throttles, duration; an
   * alarm already in ALARM rolls back any deployment).
   * @default - the worker's alarms only
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
}

/** The synth-time rules of the `canary` prop. */
export function canaryRules(canary: WorkerCanaryProps | undefined): ValidationRule[] {
  if (!canary) return [];
  const interval = canary.interval ?? Duration.minutes(5);
  const minutes = interval.isUnresolved() ? undefined : interval.toSeconds() / 60;
  return [
    {
      broken:
        !Token.isUnresolved(canary.percent) &&
        (!Number.isInteger(canary.percent) || canary.percent < 1 || canary.percent > 99),
      message: () =>
        `canary.percent must be an integer between 1 and 99 (given ${canary.percent}): it is CodeDeploy's canary percentage of the invocations.`,
    },
    {
      broken: minutes !== undefined && (!Number.isInteger(minutes) || minutes < 1),
      message: () =>
        `canary.interval must be whole minutes, at least 1 (given ${interval.toHumanString()}): CodeDeploy shifts the rest of the traffic after that many minutes.`,
    },
    {
      broken:
        canary.aliasName !== undefined &&
        (!/^(?!^[0-9]+$)[A-Za-z0-9-_]{1,128}$/.test(canary.aliasName) ||
          canary.aliasName === '$LATEST'),
      message: () =>
        `canary.aliasName must be 1-128 of letters, digits, - and _, and not only digits (given ${JSON.stringify(canary.aliasName)}).`,
    },
  ];
}

/** The alias of the function's current version; its description carries the canary for the embedded LocalStack. */
export function canaryAlias(
  scope: Construct,
  fn: lambda.Function,
  canary: WorkerCanaryProps,
): lambda.Alias {
  const interval = canary.interval ?? Duration.minutes(5);
  return new lambda.Alias(scope, 'Alias', {
    aliasName: canary.aliasName ?? 'live',
    version: fn.currentVersion,
    description: canaryDescription({
      percent: canary.percent,
      intervalSeconds: interval.toSeconds(),
    }),
  });
}

/**
 * CodeDeploy's Lambda deployment group of the alias: a time-based canary of `percent` for
 * `interval`, rolled back automatically when the deployment fails, is stopped, or any of the
 * alarms goes into ALARM.
 */
export function canaryDeploymentGroup(
  scope: Construct,
  alias: lambda.Alias,
  canary: WorkerCanaryProps,
  workerAlarms: readonly cloudwatch.IAlarm[],
): codedeploy.LambdaDeploymentGroup {
  const config = new codedeploy.LambdaDeploymentConfig(scope, 'CanaryConfig', {
    trafficRouting: new codedeploy.TimeBasedCanaryTrafficRouting({
      interval: canary.interval ?? Duration.minutes(5),
      percentage: canary.percent,
    }),
  });
  const group = new codedeploy.LambdaDeploymentGroup(scope, 'Canary', {
    alias,
    deploymentConfig: config,
    alarms: [...workerAlarms, ...(canary.alarms ?? [])],
    autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
  });
  acknowledgeNag(group.role, NAG_ACKNOWLEDGEMENTS.CODEDEPLOY_LAMBDA_ROLE);
  return group;
}
