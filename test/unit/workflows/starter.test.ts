import type { SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PayloadTooLargeError, WorkflowInputError } from '#shared/workflows/errors.ts';
import { WorkflowStarter } from '#shared/workflows/starter.ts';

/** Validation and sizing happen before any call: a client that refuses every call proves it. */
const refusingClient = {
  send: () => {
    throw new Error('no call expected before validation passes');
  },
} as unknown as SFNClient;

const schema = z.object({ businessKey: z.string().min(1), amountCents: z.number().int() });
const starter = (maxInputBytes?: number) =>
  new WorkflowStarter({
    client: refusingClient,
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Orders',
    schema,
    maxInputBytes,
  });

describe('WorkflowStarter', () => {
  describe('start', () => {
    it('rejects invalid input naming the source and every failing field', async () => {
      const attempt = starter().start('o-1', { businessKey: '', amountCents: 1.5 }, 'event e-7');

      await expect(attempt).rejects.toThrow(WorkflowInputError);
      await expect(attempt).rejects.toThrow(/event e-7: businessKey: .*; amountCents: /);
    });

    it('rejects input above maxInputBytes with its size', async () => {
      const input = { businessKey: 'k'.repeat(2_000), amountCents: 1 };

      const attempt = starter(1_000).start('o-1', input, 'event e-8');

      await expect(attempt).rejects.toThrow(PayloadTooLargeError);
      await expect(attempt).rejects.toThrow(/event e-8 is 20\d\d bytes, above the limit of 1000/);
    });
  });

  it('rejects a maxInputBytes above the Step Functions state limit', () => {
    expect(() => starter(300_000)).toThrow(/maxInputBytes.*given 300000/);
  });
});
