import { createHash } from 'node:crypto';
import { WorkflowConfigError } from './errors.ts';

/** Step Functions execution names: 1..80 characters (AWS StartExecution `name`). */
export const MAX_EXECUTION_NAME_LENGTH = 80;

/**
 * Characters we keep as they are. AWS forbids whitespace, `<>{}[]?*"#%\^|~`$&,;:/` and control
 * characters, and advises ASCII for CloudWatch; this conservative subset satisfies both.
 */
const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;
const HASH_LENGTH = 16;

/**
 * Derives a Step Functions execution name from an idempotency key, deterministically: a key that
 * already is a valid name is used unchanged (so a business key stays readable in the console);
 * any other key is sanitised, shortened and suffixed with 16 hex characters of its SHA-256, so
 * two different keys never share a name because they sanitise alike.
 *
 * @example
 * executionNameFor('order-42'); // 'order-42'
 * executionNameFor('tenant/a:order 42'); // 'tenant_a_order_42-3f1c9a0b7d2e4c51'
 */
export function executionNameFor(idempotencyKey: string): string {
  if (idempotencyKey.length === 0) {
    throw new WorkflowConfigError(
      'idempotencyKey',
      '""',
      'must not be empty; derive it from the business key',
    );
  }
  if (idempotencyKey.length <= MAX_EXECUTION_NAME_LENGTH && SAFE_NAME.test(idempotencyKey)) {
    return idempotencyKey;
  }
  const hash = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, HASH_LENGTH);
  const readable = idempotencyKey
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .slice(0, MAX_EXECUTION_NAME_LENGTH - HASH_LENGTH - 1);
  return `${readable}-${hash}`;
}

/**
 * The ARN of an execution from its state machine's ARN and its name (the documented layout
 * `arn:aws:states:<region>:<account>:execution:<stateMachine>:<name>`), so a business key finds
 * its execution without listing.
 *
 * @example
 * executionArnFor('arn:aws:states:us-east-1:000000000000:stateMachine:Orders', 'order-42');
 */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  const marker = ':stateMachine:';
  if (!stateMachineArn.includes(marker)) {
    throw new WorkflowConfigError(
      'stateMachineArn',
      stateMachineArn,
      'must be a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)',
    );
  }
  return `${stateMachineArn.replace(marker, ':execution:')}:${executionName}`;
}
