import type { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

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

/** What the construct itself decides about a new function. */
export interface OwnedFunctionProps {
  readonly entry: string | undefined;
  readonly handler: string | undefined;
  readonly timeout: Duration;
  readonly memorySize: number | undefined;
  readonly environment: Record<string, string>;
  readonly reservedConcurrency?: number | undefined;
}

/**
 * The NodejsFunction a lanes construct creates: Node.js 24 unless `functionProps` says
 * otherwise, and the AWS SDK bundled (so the code does not depend on the SDK version of the
 * runtime) unless the bundling options say otherwise.
 */
export function newLanesFunction(
  scope: Construct,
  id: string,
  owned: OwnedFunctionProps,
  functionProps: LanesFunctionProps = {},
): NodejsFunction {
  return new NodejsFunction(scope, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    ...functionProps,
    entry: owned.entry,
    handler: owned.handler ?? 'handler',
    timeout: owned.timeout,
    memorySize: owned.memorySize ?? 256,
    reservedConcurrentExecutions: owned.reservedConcurrency,
    environment: owned.environment,
    bundling: { externalModules: [], ...functionProps.bundling },
  });
}
