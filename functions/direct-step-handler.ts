import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { type StepClaimCheckOption, StepOutputs } from '../shared/workflows/step-output.ts';
import { correlationIdOf, type StepFunction } from '../shared/workflows/step-worker.ts';

/** Options of {@link createDirectStepHandler}. */
export interface DirectStepOptions {
  /**
   * Claim check for outputs above its threshold; `false` for none (outputs above 256 KB then
   * fail the task with StepOutputTooLargeError).
   * @default - from CLAIM_CHECK_TABLE_NAME (CLAIM_CHECK_ENV), none when it is not set
   */
  readonly claimCheck?: StepClaimCheckOption;
}

/**
 * A Lambda handler for a direct workflow task: runs the step with the task's input and returns
 * its output; a thrown error's `name` becomes the Step Functions error the state's Retry and
 * Catch match on. Business code stays in the StepFunction. An output above the claim check's
 * threshold is returned as a claim-check reference (`StepOutputs`), so it never fails the
 * execution with `States.DataLimitExceeded`; if it cannot be stored the task fails at once with
 * `ClaimCheckStoreError` (or `StepOutputTooLargeError` without a claim check).
 *
 * @example
 * export const handler = createDirectStepHandler('reserve', steps.reserve);
 */
export function createDirectStepHandler(
  step: string,
  implementation: StepFunction,
  options: DirectStepOptions = {},
) {
  const outputs = new StepOutputs({ claimCheck: options.claimCheck });
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? `workflow-${step}`;
  const logger = new Logger({ serviceName });
  // X-Ray, unless POWERTOOLS_TRACE_ENABLED=false (the constructs' `tracing: false`).
  const tracer = new Tracer({ serviceName });
  const handle = async (input: unknown) => {
    const businessKey =
      typeof input === 'object' && input !== null && 'businessKey' in input
        ? String((input as { businessKey: unknown }).businessKey)
        : 'unknown';
    logger.appendKeys({ step, businessKey });
    const correlationId = correlationIdOf(input);
    if (correlationId) logger.setCorrelationId(correlationId);
    try {
      const output = await implementation(input, { step, businessKey, dispatch: 'direct' });
      return await outputs.prepare(step, output);
    } catch (error) {
      logger.warn('Workflow step failed', { error });
      throw error;
    }
  };
  return middy(handle)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger));
}
