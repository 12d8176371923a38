import { describe, expect, it } from 'vitest';
import { WorkflowConfigError } from '#shared/workflows/errors.ts';
import {
  executionArnFor,
  executionNameFor,
  MAX_EXECUTION_NAME_LENGTH,
} from '#shared/workflows/execution-name.ts';

describe('executionNameFor', () => {
  it('keeps a key that is already a valid execution name', () => {
    expect(executionNameFor('order-42_v1.0')).toBe('order-42_v1.0');
  });

  it('sanitises other keys and suffixes a hash so distinct keys stay distinct', () => {
    const a = executionNameFor('tenant/a:order 42');
    const b = executionNameFor('tenant_a_order_42');
    const c = executionNameFor('tenant:a/order 42');

    expect(a).toMatch(/^tenant_a_order_42-[0-9a-f]{16}$/);
    expect(b).toBe('tenant_a_order_42');
    expect(c).not.toBe(a);
  });

  it('is deterministic', () => {
    expect(executionNameFor('k#1')).toBe(executionNameFor('k#1'));
  });

  it('shortens long keys to the 80-character limit', () => {
    const name = executionNameFor('x'.repeat(200));

    expect(name).toHaveLength(MAX_EXECUTION_NAME_LENGTH);
    expect(name).not.toBe(executionNameFor('x'.repeat(201)));
  });

  it('rejects an empty key', () => {
    expect(() => executionNameFor('')).toThrow(WorkflowConfigError);
  });
});

describe('executionArnFor', () => {
  it('builds the execution ARN from the state machine ARN', () => {
    expect(
      executionArnFor('arn:aws:states:us-east-1:000000000000:stateMachine:Orders', 'order-1'),
    ).toBe('arn:aws:states:us-east-1:000000000000:execution:Orders:order-1');
  });

  it('rejects something that is not a state machine ARN, naming it', () => {
    expect(() => executionArnFor('arn:aws:sqs:us-east-1:1:q', 'x')).toThrow(
      /stateMachineArn.*given arn:aws:sqs/,
    );
  });
});
