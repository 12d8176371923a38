import { describe, expect, it } from 'vitest';
import { planCapacity } from '#shared/capacity/plan.ts';

describe('planCapacity', () => {
  it("sizes concurrency by Little's law with headroom and derives the worker settings", () => {
    const plan = planCapacity({
      ratePerSecond: 500,
      processingMs: 40,
      batchSize: 10,
      fifo: true,
      activeKeys: 50,
    });

    // 50 batches/s x 0.4 s per batch x 1.3 = 26 concurrent batches
    expect(plan.requiredConcurrency).toBe(26);
    expect(plan.plannedConcurrency).toBe(26);
    expect(plan.settings).toEqual({
      maxConcurrency: 26,
      reservedConcurrency: 26,
      functionTimeoutSeconds: 10,
      visibilityTimeoutSeconds: 60,
      maxReceiveCount: 5,
    });
    expect(plan.warnings).toEqual([]);
  });

  it('caps a FIFO worker at one batch per active key and says what rate that sustains', () => {
    const plan = planCapacity({
      ratePerSecond: 2_000,
      processingMs: 50,
      batchSize: 10,
      fifo: true,
      activeKeys: 20,
    });

    expect(plan.partitionCeiling).toBe(20);
    expect(plan.plannedConcurrency).toBe(20);
    expect(plan.sustainableRatePerSecond).toBe(400);
    expect(plan.warnings[0]).toMatch(/FIFO allows one per active key \(20\): at most 400 msg\/s/);
  });

  it('warns when one mapping cannot reach the needed concurrency and when reservations eat the account', () => {
    const plan = planCapacity({
      ratePerSecond: 50_000,
      processingMs: 100,
      batchSize: 10,
      fifo: false,
    });

    expect(plan.plannedConcurrency).toBe(1_000);
    expect(plan.warnings.join('\n')).toMatch(/one mapping reaches 1000/);
    expect(plan.warnings.join('\n')).toMatch(/leaves less than 100 unreserved/);
  });

  it('keeps the mapping minimum of 2 for a trickle and adds the batching window to the visibility timeout', () => {
    const plan = planCapacity({
      ratePerSecond: 1,
      processingMs: 5,
      batchSize: 10,
      fifo: false,
      batchingWindowSeconds: 5,
    });

    expect(plan.settings.maxConcurrency).toBe(2);
    expect(plan.settings.visibilityTimeoutSeconds).toBe(65);
  });

  it('flags a hot key that would exceed one DynamoDB partition', () => {
    const plan = planCapacity({
      ratePerSecond: 100,
      processingMs: 1,
      batchSize: 10,
      fifo: true,
      activeKeys: 5,
      writesPerMessagePerKey: 2,
    });

    expect(plan.warnings.join('\n')).toMatch(/one hot key can write 2000 units\/s/);
  });

  it('rejects bad input naming the field and the value', () => {
    expect(() =>
      planCapacity({ ratePerSecond: 0, processingMs: 5, batchSize: 1, fifo: false }),
    ).toThrow(/ratePerSecond must be a positive number \(given 0\)/);
    expect(() =>
      planCapacity({ ratePerSecond: 1, processingMs: 5, batchSize: 11, fifo: true, activeKeys: 1 }),
    ).toThrow(/batchSize must be an integer in 1\.\.10 \(given 11\)/);
    expect(() =>
      planCapacity({ ratePerSecond: 1, processingMs: 5, batchSize: 1, fifo: true }),
    ).toThrow(/activeKeys must be a positive integer for a FIFO queue/);
  });
});
