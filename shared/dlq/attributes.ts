/**
 * Message attributes a lanes worker puts on a message it dead-letters, so DLQ tooling can show why
 * it failed. SQS itself records no reason when its redrive policy moves a message.
 */
export const DEAD_LETTER_ATTRIBUTES = {
  ERROR_NAME: 'lanes.errorName',
  ERROR_MESSAGE: 'lanes.errorMessage',
  FAILED_AT: 'lanes.failedAt',
  SOURCE_QUEUE_ARN: 'lanes.sourceQueueArn',
  RECEIVE_COUNT: 'lanes.receiveCount',
  FUNCTION_NAME: 'lanes.functionName',
} as const;

/** SQS allows at most 10 message attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/** Longest error message kept on a dead-lettered message (attributes count toward its size). */
export const MAX_REASON_CHARS = 1_000;

/**
 * Message attributes EventBridge puts on an event it could not deliver to a rule target and sent
 * to the target's dead-letter queue instead (the body is the event).
 */
export const EVENTBRIDGE_DEAD_LETTER_ATTRIBUTES = {
  RULE_ARN: 'RULE_ARN',
  TARGET_ARN: 'TARGET_ARN',
  ERROR_CODE: 'ERROR_CODE',
  ERROR_MESSAGE: 'ERROR_MESSAGE',
  EXHAUSTED_RETRY_CONDITION: 'EXHAUSTED_RETRY_CONDITION',
  RETRY_ATTEMPTS: 'RETRY_ATTEMPTS',
} as const;
