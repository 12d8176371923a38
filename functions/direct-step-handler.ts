import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { StepFunction } from '../shared/workflows/step-worker.ts';

/**
 * A Lambda handler for a direct workflow task: runs the step with the task's input and returns
 * its output; a thrown error's `name` becomes the Step Functions error the state's Retry and
 * Catch match on. Business code stays in the StepFunction.
 *
 * @example
 * export const handler = createDirectStepHandler('reserve', steps.reserve);
 */
export function createDirectStepHandler(step: string, implementation: StepFunction) {
  const logger = new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? `workflow-${step}`,
  });
  const handle = async (input: unknown) => {
    const businessKey =
      typeof input === 'object' && input !== null && 'businessKey' in input
        ? String((input as { businessKey: unknown }).businessKey)
        : 'unknown';
    logger.appendKeys({ step, businessKey });
    try {
      return await implementation(input, { step, businessKey, dispatch: 'direct' });
    } catch (error) {
      logger.warn('Workflow step failed', { error });
      throw error;
    }
  };
  return middy(handle).use(injectLambdaContext(logger));
}
