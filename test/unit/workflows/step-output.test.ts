import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDirectStepHandler } from '#functions/direct-step-handler.ts';
import type { Envelope } from '#shared/events/envelope.ts';
import {
  ClaimCheck,
  type ClaimCheckStore,
  InMemoryClaimCheckStore,
} from '#shared/workflows/claim-check.ts';
import {
  ClaimCheckStoreError,
  PayloadTooLargeError,
  StepOutputTooLargeError,
} from '#shared/workflows/errors.ts';
import { jsonByteSize, PAYLOAD_LIMITS } from '#shared/workflows/payload.ts';
import { claimCheckFromEnvironment, StepOutputs } from '#shared/workflows/step-output.ts';
import { createStepProcessor } from '#shared/workflows/step-worker.ts';
import type { TaskTokenClient } from '#shared/workflows/task-token.ts';

const huge = { text: 'z'.repeat(300_000) }; // above the 256 KB state limit
const medium = { text: 'm'.repeat(50_000) }; // above the 16 KB threshold, below the limit

class FailingStore implements ClaimCheckStore {
  async put(key: string): Promise<void> {
    throw Object.assign(new Error(`Requested resource not found: table for ${key}`), {
      name: 'ResourceNotFoundException',
    });
  }
  async get(): Promise<string | undefined> {
    return undefined;
  }
}

describe('StepOutputs', () => {
  it('keeps a small output inline', async () => {
    const store = new InMemoryClaimCheckStore();
    const outputs = new StepOutputs({ claimCheck: new ClaimCheck({ store }) });
    expect(await outputs.prepare('reserve', { units: 3 })).toEqual({ units: 3 });
    expect(store.items.size).toBe(0);
  });

  it('stores an output above the threshold and returns a small reference that resolves to it', async () => {
    const claimCheck = new ClaimCheck({ store: new InMemoryClaimCheckStore() });
    const outputs = new StepOutputs({ claimCheck });
    for (const output of [medium, huge]) {
      const ref = await outputs.prepare('report', output);
      expect(ClaimCheck.isRef(ref)).toBe(true);
      expect(jsonByteSize(ref)).toBeLessThan(300);
      expect(await claimCheck.resolve(ref)).toEqual(output);
    }
  });

  it('without a claim check, passes outputs up to 256 KB and refuses a larger one naming the step and sizes', async () => {
    const outputs = new StepOutputs({ claimCheck: false });
    expect(await outputs.prepare('report', medium)).toEqual(medium);
    const error = await outputs.prepare('report', huge).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepOutputTooLargeError);
    expect((error as Error).message).toMatch(
      /^Output of step report is 300011 bytes, above the Step Functions limit of 262144 bytes, and no claim check is configured to store it: set CLAIM_CHECK_TABLE_NAME/,
    );
  });

  it('turns a store failure into ClaimCheckStoreError naming the store error', async () => {
    const outputs = new StepOutputs({ claimCheck: new ClaimCheck({ store: new FailingStore() }) });
    const error = await outputs.prepare('report', huge).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClaimCheckStoreError);
    expect((error as Error).message).toMatch(
      /^Output of step report \(300011 bytes\) goes behind a claim check, but storing it failed: ResourceNotFoundException: Requested resource not found/,
    );
    expect((error as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  describe('claimCheckFromEnvironment', () => {
    it('is undefined without CLAIM_CHECK_TABLE_NAME', () => {
      expect(claimCheckFromEnvironment({})).toBeUndefined();
    });

    it('reads the table, the sort key and the threshold', () => {
      const claimCheck = claimCheckFromEnvironment({
        CLAIM_CHECK_TABLE_NAME: 'workflows',
        CLAIM_CHECK_SORT_KEY: 'sk=claim',
        CLAIM_CHECK_THRESHOLD_BYTES: '2048',
      });
      expect(claimCheck?.thresholdBytes).toBe(2_048);
    });

    it('rejects a malformed sort key with the variable and the expected form', () => {
      expect(() =>
        claimCheckFromEnvironment({ CLAIM_CHECK_TABLE_NAME: 't', CLAIM_CHECK_SORT_KEY: 'sk' }),
      ).toThrow(/CLAIM_CHECK_SORT_KEY: must be <name>=<value>, e\.g\. sk=claim \(given sk\)/);
    });
  });
});

describe('step helpers hand large outputs over by claim check', () => {
  // The direct handler logs a failed step at WARN; keep the test output readable.
  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const lambdaContext = {
    functionName: 'step',
    awsRequestId: 'r-1',
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;

  it('direct: returns the reference instead of the output', async () => {
    const claimCheck = new ClaimCheck({ store: new InMemoryClaimCheckStore() });
    const handler = createDirectStepHandler('report', async () => huge, { claimCheck });
    const result = await handler({ businessKey: 'o-1' }, lambdaContext);
    expect(ClaimCheck.isRef(result)).toBe(true);
    expect(await claimCheck.resolve(result)).toEqual(huge);
  });

  it('direct: fails the invocation with ClaimCheckStoreError when the output cannot be stored', async () => {
    const handler = createDirectStepHandler('report', async () => huge, {
      claimCheck: new ClaimCheck({ store: new FailingStore() }),
    });
    await expect(handler({ businessKey: 'o-1' }, lambdaContext)).rejects.toMatchObject({
      name: 'ClaimCheckStoreError',
    });
  });

  /** A task token client that records answers (the real one is tested on LocalStack). */
  function recordingTokens() {
    const answers: { kind: 'success' | 'failure'; step: string; value: unknown }[] = [];
    const tokens = {
      heartbeat: async () => {},
      withHeartbeat: async <T>(_t: string, _s: string, _i: number, work: () => Promise<T>) =>
        work(),
      succeed: async (_token: string, step: string, output: unknown) => {
        const bytes = jsonByteSize(output ?? {});
        if (bytes > PAYLOAD_LIMITS.STATE_BYTES) {
          throw new PayloadTooLargeError(
            `Output of step ${step}`,
            bytes,
            PAYLOAD_LIMITS.STATE_BYTES,
          );
        }
        answers.push({ kind: 'success', step, value: output });
      },
      fail: async (_token: string, step: string, error: Error) => {
        answers.push({
          kind: 'failure',
          step,
          value: { name: error.name, message: error.message },
        });
      },
    };
    return { tokens: tokens as unknown as TaskTokenClient, answers };
  }

  const stepEvent = (step: string) =>
    ({
      id: 'e-1',
      type: 'workflow.step',
      source: 'lanes.workflows',
      time: '2026-01-01T00:00:00Z',
      partitionKey: 'o-1',
      sequence: 0,
      data: { taskToken: 't-1', step, businessKey: 'o-1', executionArn: 'arn:x', input: {} },
    }) as Envelope;
  const logger = new Logger({ logLevel: 'SILENT' });

  it('queue: answers SendTaskSuccess with the reference', async () => {
    const { tokens, answers } = recordingTokens();
    const claimCheck = new ClaimCheck({ store: new InMemoryClaimCheckStore() });
    const process = createStepProcessor({
      steps: { report: async () => huge },
      tokens,
      claimCheck,
    });
    await process(stepEvent('report'), { logger } as never);
    expect(answers).toHaveLength(1);
    expect(answers[0]?.kind).toBe('success');
    expect(await claimCheck.resolve(answers[0]?.value)).toEqual(huge);
  });

  it('queue: fails the task at once (SendTaskFailure with the real cause) when the output cannot be stored, and does not throw for an SQS retry', async () => {
    const { tokens, answers } = recordingTokens();
    const process = createStepProcessor({
      steps: { report: async () => huge },
      tokens,
      claimCheck: new ClaimCheck({ store: new FailingStore() }),
    });
    await expect(process(stepEvent('report'), { logger } as never)).resolves.toBeUndefined();
    expect(answers).toEqual([
      {
        kind: 'failure',
        step: 'report',
        value: {
          name: 'ClaimCheckStoreError',
          message: expect.stringMatching(/storing it failed: ResourceNotFoundException/),
        },
      },
    ]);
  });

  it('queue: fails the task with StepOutputTooLargeError when no claim check is configured', async () => {
    const { tokens, answers } = recordingTokens();
    const process = createStepProcessor({
      steps: { report: async () => huge },
      tokens,
      claimCheck: false,
    });
    await process(stepEvent('report'), { logger } as never);
    expect(answers[0]).toMatchObject({
      kind: 'failure',
      value: { name: 'StepOutputTooLargeError' },
    });
  });
});
