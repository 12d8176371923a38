import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DESCRIPTOR_DESCRIPTION, type Descriptor } from '../shared/discovery.ts';

/**
 * Publishes a construct's descriptor as a stack output, for the `lanes` CLI's discovery
 * (`shared/discovery.ts` defines the format). Values may hold tokens (queue URLs, ARNs).
 */
export function describeForDiscovery(scope: Construct, descriptor: Descriptor): CfnOutput {
  return new CfnOutput(scope, 'LanesDescriptor', {
    description: DESCRIPTOR_DESCRIPTION,
    value: Stack.of(scope).toJsonString(descriptor),
  });
}
