import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { integerEnv, requireEnv } from 'lanes/runtime';
import { ClaimCheck, DynamoDbClaimCheckStore } from 'lanes/workflows';
import { FULFILMENT_KEYS } from './model.ts';
import { DEFAULT_CHARGE_LIMIT_CENTS, type FulfilmentDeps } from './steps.ts';

/** Environment variables of the fulfilment functions (set by the Lanes-Workflows stack). */
export const FULFILMENT_ENV = {
  TABLE_NAME: 'WORKFLOW_TABLE_NAME',
  STATE_MACHINE_ARN: 'WORKFLOW_STATE_MACHINE_ARN',
  CLAIM_CHECK_THRESHOLD_BYTES: 'CLAIM_CHECK_THRESHOLD_BYTES',
  CHARGE_LIMIT_CENTS: 'CHARGE_LIMIT_CENTS',
  HEARTBEAT_INTERVAL_MS: 'HEARTBEAT_INTERVAL_MS',
} as const;

/** Reads an optional positive integer variable; fails with its name and value when malformed. */
export function optionalIntEnv(name: string): number | undefined {
  return integerEnv(name, { min: 1 });
}

/** The claim check on the workflow table, configured from the environment. */
export function claimCheckFromEnv(client: DynamoDBDocumentClient): ClaimCheck {
  return new ClaimCheck({
    store: new DynamoDbClaimCheckStore({
      client,
      tableName: requireEnv(FULFILMENT_ENV.TABLE_NAME),
      sortKey: { name: 'sk', value: FULFILMENT_KEYS.CLAIM_CHECK_SK },
    }),
    thresholdBytes: optionalIntEnv(FULFILMENT_ENV.CLAIM_CHECK_THRESHOLD_BYTES),
  });
}

/**
 * Dependencies of the fulfilment steps from the environment (one client per Lambda container).
 *
 * @example
 * const steps = fulfilmentSteps(fulfilmentDepsFromEnv());
 */
export function fulfilmentDepsFromEnv(): FulfilmentDeps {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return {
    client,
    tableName: requireEnv(FULFILMENT_ENV.TABLE_NAME),
    claimCheck: claimCheckFromEnv(client),
    chargeLimitCents:
      optionalIntEnv(FULFILMENT_ENV.CHARGE_LIMIT_CENTS) ?? DEFAULT_CHARGE_LIMIT_CENTS,
    nowMs: () => Date.now(),
  };
}
