import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { POWERTOOLS_ENV } from '../shared/observability/metrics.ts';
import { acknowledgeNag, NAG_ACKNOWLEDGEMENTS } from './nag.ts';

/**
 * Props of a construct's new function that the construct does not decide itself: runtime,
 * architecture, VPC, layers, logging, tracing, bundling (esbuild options) and the rest of
 * `NodejsFunctionProps`. The construct owns the entry, handler, timeout, memory size,
 * environment and reserved concurrency (its own props, checked by its rules).
 */
export type LanesFunctionProps = Omit<
  NodejsFunctionProps,
  'entry' | 'handler' | 'timeout' | 'memorySize' | 'environment' | 'reservedConcurrentExecutions'
>;

/** Retention of the log groups the lanes constructs create. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/** Tracing and log options every construct that creates functions takes. */
export interface LanesObservabilityProps {
  /**
   * X-Ray tracing of the construct's functions (active tracing, and the Powertools tracer in the
   * lanes handlers); `false` turns both off.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Retention of the log groups the construct creates (one per function).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** What the construct itself decides about a new function. */
export interface OwnedFunctionProps extends LanesObservabilityProps {
  readonly entry: string | undefined;
  readonly handler: string | undefined;
  readonly timeout: Duration;
  readonly memorySize: number | undefined;
  readonly environment: Record<string, string>;
  readonly reservedConcurrency?: number | undefined;
  /** Of the function's log group. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy | undefined;
}

/**
 * The NodejsFunction a lanes construct creates: Node.js 24 unless `functionProps` says
 * otherwise, the AWS SDK bundled (so the code does not depend on the SDK version of the runtime)
 * unless the bundling options say otherwise, active X-Ray tracing (with the Powertools tracer
 * told so) unless `tracing` is false, and its own log group with a retention unless
 * `functionProps` names a log group or a retention itself.
 *
 * Least privilege: unless `functionProps` brings a role or a VPC, the function gets a role of
 * its own that may write to its own log group only (instead of the AWS managed
 * AWSLambdaBasicExecutionRole, whose logs:* apply to every log group), and the two X-Ray actions
 * in a policy of their own (the only statement that needs Resource "*").
 *
 * @example
 * const fn = newLanesFunction(this, 'Reserve', {
 *   entry: 'functions/reserve.ts', handler: undefined, timeout: Duration.seconds(15),
 *   memorySize: undefined, environment: {},
 * });
 */
export function newLanesFunction(
  scope: Construct,
  id: string,
  owned: OwnedFunctionProps,
  functionProps: LanesFunctionProps = {},
): NodejsFunction {
  const tracingOn = owned.tracing ?? true;
  const ownLogGroup =
    functionProps.logGroup === undefined && functionProps.logRetention === undefined;
  const logGroup = ownLogGroup
    ? new logs.LogGroup(scope, `${id}Logs`, {
        retention: owned.logRetention ?? DEFAULT_LOG_RETENTION,
        removalPolicy: owned.removalPolicy ?? RemovalPolicy.DESTROY,
      })
    : functionProps.logGroup;
  const ownRole = functionProps.role === undefined && functionProps.vpc === undefined;
  const role = ownRole
    ? new iam.Role(scope, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of ${scope.node.path}/${id}`,
      })
    : functionProps.role;
  if (ownRole && role) {
    if (logGroup instanceof logs.LogGroup) logGroup.grantWrite(role);
    else {
      // A log group or retention of functionProps: CDK's default, the AWS managed policy.
      role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole'),
      );
    }
  }
  // With our own role, tracing is switched on below, so its X-Ray statement gets its own policy.
  const ownTracing = ownRole && tracingOn && functionProps.tracing === undefined;
  const fn = new NodejsFunction(scope, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    tracing: tracingOn && !ownTracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    ...functionProps,
    role,
    logGroup,
    entry: owned.entry,
    handler: owned.handler ?? 'handler',
    timeout: owned.timeout,
    memorySize: owned.memorySize ?? 256,
    reservedConcurrentExecutions: owned.reservedConcurrency,
    environment: {
      [POWERTOOLS_ENV.TRACE_ENABLED]: String(tracingOn),
      ...owned.environment,
    },
    bundling: { externalModules: [], ...functionProps.bundling },
  });
  if (ownTracing && role) {
    (fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    const xray = new iam.Policy(scope, `${id}XRay`, {
      statements: [
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    xray.attachToRole(role);
    fn.node.addDependency(xray);
    acknowledgeNag(xray, NAG_ACKNOWLEDGEMENTS.XRAY_WRITE);
  }
  return fn;
}
