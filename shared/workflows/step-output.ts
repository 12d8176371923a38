import { ClaimCheck, type ClaimCheckRef } from './claim-check.ts';
import { DynamoDbClaimCheckStore } from './dynamodb-claim-check-store.ts';
import { ClaimCheckStoreError, StepOutputTooLargeError, WorkflowConfigError } from './errors.ts';
import { jsonByteSize, PAYLOAD_LIMITS } from './payload.ts';

/** Environment variables that give the step helpers a claim check without code. */
export const CLAIM_CHECK_ENV = {
  /** Table of the claim-check store (string partition key `pk`). */
  TABLE_NAME: 'CLAIM_CHECK_TABLE_NAME',
  /** `<name>=<value>` when the table also has a sort key, e.g. `sk=claim`. */
  SORT_KEY: 'CLAIM_CHECK_SORT_KEY',
  /** Outputs above this many bytes go behind the claim check. @default 16384 */
  THRESHOLD_BYTES: 'CLAIM_CHECK_THRESHOLD_BYTES',
} as const;

/**
 * The claim check configured by {@link CLAIM_CHECK_ENV}, or undefined when
 * `CLAIM_CHECK_TABLE_NAME` is not set.
 *
 * @example
 * const claimCheck = claimCheckFromEnvironment(); // CLAIM_CHECK_TABLE_NAME=workflow-table
 */
export function claimCheckFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ClaimCheck | undefined {
  const tableName = env[CLAIM_CHECK_ENV.TABLE_NAME];
  if (!tableName) return undefined;
  const sortKeyRaw = env[CLAIM_CHECK_ENV.SORT_KEY];
  let sortKey: { name: string; value: string } | undefined;
  if (sortKeyRaw) {
    const [name, value, ...rest] = sortKeyRaw.split('=');
    if (!name || !value || rest.length > 0) {
      throw new WorkflowConfigError(
        CLAIM_CHECK_ENV.SORT_KEY,
        sortKeyRaw,
        'must be <name>=<value>, e.g. sk=claim',
      );
    }
    sortKey = { name, value };
  }
  const thresholdRaw = env[CLAIM_CHECK_ENV.THRESHOLD_BYTES];
  const thresholdBytes = thresholdRaw ? Number(thresholdRaw) : undefined;
  return new ClaimCheck({
    store: new DynamoDbClaimCheckStore({ tableName, ...(sortKey ? { sortKey } : {}) }),
    ...(thresholdBytes !== undefined ? { thresholdBytes } : {}),
  });
}

/** Where the step helpers get their claim check: one given, none (`false`), or the environment's. */
export type StepClaimCheckOption = ClaimCheck | false | undefined;

/**
 * Makes a step's output safe to hand to Step Functions, for both step helpers:
 * - with a claim check, an output whose JSON is above its `thresholdBytes` (16 KB by default) is
 *   stored and replaced by a `{ claimCheck: { key, bytes, sha256 } }` reference, which the next
 *   steps resolve with `ClaimCheck.resolve`. The threshold is well below the 256 KB state limit
 *   because the output is added to the state, which must stay under the limit as a whole;
 * - without one, outputs up to 256 KB pass as they are and a larger one is refused with
 *   {@link StepOutputTooLargeError};
 * - a store failure becomes {@link ClaimCheckStoreError} naming the store's error.
 * Both errors are meant to fail the task at once (their names are not in the retried errors).
 *
 * @example
 * const outputs = new StepOutputs({});           // claim check from CLAIM_CHECK_TABLE_NAME
 * const safe = await outputs.prepare('charge', await charge(input));
 */
export class StepOutputs {
  readonly #option: StepClaimCheckOption;
  #claimCheck: ClaimCheck | undefined | null = null;

  public constructor(options: { readonly claimCheck?: StepClaimCheckOption }) {
    this.#option = options.claimCheck;
  }

  /** The claim check in use (built from the environment on first use), or undefined. */
  public claimCheck(): ClaimCheck | undefined {
    if (this.#claimCheck === null) {
      this.#claimCheck =
        this.#option === false ? undefined : (this.#option ?? claimCheckFromEnvironment());
    }
    return this.#claimCheck;
  }

  /** The output to send: itself, or its claim-check reference. */
  public async prepare(step: string, output: unknown): Promise<unknown | ClaimCheckRef> {
    const bytes = jsonByteSize(output ?? {});
    const claimCheck = this.claimCheck();
    if (!claimCheck) {
      if (bytes > PAYLOAD_LIMITS.STATE_BYTES) {
        throw new StepOutputTooLargeError(step, bytes, PAYLOAD_LIMITS.STATE_BYTES);
      }
      return output;
    }
    if (bytes <= claimCheck.thresholdBytes) return output;
    try {
      return await claimCheck.store(output);
    } catch (error) {
      throw new ClaimCheckStoreError(step, bytes, error);
    }
  }
}
