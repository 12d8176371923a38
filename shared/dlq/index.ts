/**
 * `lanes/dlq`: dead-letter queues with the reason each message failed, and redrive after a fix
 * (SQS move task, or a client-side copy where the move task is not available).
 *
 * @example
 * import { listDeadLetters } from 'lanes/dlq';
 * for (const letter of await listDeadLetters({ queueUrl })) console.log(letter.reason);
 */
export * from './attributes.ts';
export * from './depth.ts';
export * from './errors.ts';
export * from './list.ts';
export * from './redrive.ts';
