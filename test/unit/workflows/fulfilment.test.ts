import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { FulfilmentStateError } from '#orders/domain/fulfilment/errors.ts';
import { FulfilmentInputSchema } from '#orders/domain/fulfilment/model.ts';
import { fulfilmentSteps, toFulfilmentInput } from '#orders/domain/fulfilment/steps.ts';
import { ClaimCheck, InMemoryClaimCheckStore } from '#shared/workflows/claim-check.ts';
import { jsonByteSize } from '#shared/workflows/payload.ts';

const order = {
  orderId: 'o-1',
  customerId: 'c-1',
  amountCents: 100,
  currency: 'EUR' as const,
  email: 'a@example.com',
  lines: [{ sku: 's-1', quantity: 2 }],
};

describe('toFulfilmentInput', () => {
  it('keeps small lines inline', async () => {
    const claimCheck = new ClaimCheck({
      store: new InMemoryClaimCheckStore(),
      thresholdBytes: 1_000,
    });

    const input = await toFulfilmentInput(order, 'o-1', claimCheck);

    expect(input.lines).toEqual(order.lines);
    expect(input.order.lineCount).toBe(1);
    expect(FulfilmentInputSchema.safeParse(input).success).toBe(true);
  });

  it('puts large lines behind a claim check and stays small', async () => {
    const claimCheck = new ClaimCheck({
      store: new InMemoryClaimCheckStore(),
      thresholdBytes: 1_000,
    });
    const lines = Array.from({ length: 100 }, (_, i) => ({
      sku: `s-${i}`,
      quantity: 1,
      note: 'n'.repeat(500),
    }));

    const input = await toFulfilmentInput({ ...order, lines }, 'o-1', claimCheck);

    expect(ClaimCheck.isRef(input.lines)).toBe(true);
    expect(jsonByteSize(input)).toBeLessThan(1_000);
    expect(await claimCheck.resolve(input.lines)).toEqual(lines);
  });
});

describe('fulfilmentSteps', () => {
  it('rejects a state that is not a fulfilment input, naming the step and the field', async () => {
    const steps = fulfilmentSteps({
      // The state is checked before any DynamoDB call.
      client: {} as DynamoDBDocumentClient,
      tableName: 't',
      claimCheck: new ClaimCheck({ store: new InMemoryClaimCheckStore() }),
      nowMs: () => 0,
    });

    const attempt = steps.charge(
      { businessKey: 'o-1' },
      { step: 'charge', businessKey: 'o-1', dispatch: 'direct' },
    );

    await expect(attempt).rejects.toThrow(FulfilmentStateError);
    await expect(attempt).rejects.toThrow(/Step charge got an invalid workflow state: .*order/);
  });
});
