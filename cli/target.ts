import { awsEnvironment, operationsTarget, type Target } from '../embedded-localstack/lifecycle.ts';

/**
 * Points the AWS SDK at the target of an operations command (watch, scale, dlq, workflow): an
 * endpoint named with AWS_ENDPOINT_URL/LANES_ENDPOINT_URL, AWS, or this project's own running
 * embedded LocalStack. Starts nothing. Called after the command's arguments are checked, so a
 * usage error is reported as one even when nothing runs.
 */
export async function connectToDeployedTarget(): Promise<Target> {
  const target = await operationsTarget();
  Object.assign(process.env, awsEnvironment(target));
  return target;
}
