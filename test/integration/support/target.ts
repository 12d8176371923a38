import type { Target } from '#localstack/lifecycle.ts';

/** Variable through which the global setup tells test files what it targeted. */
export const TEST_TARGET_ENV = 'LANES_TEST_TARGET';

/**
 * The target the integration run uses, as the global setup resolved it. (Inside a test file
 * `resolveTarget()` would see the AWS_ENDPOINT_URL the setup exported and call every target
 * external.)
 *
 * @example
 * if (testTarget().kind === 'embedded') { ... }
 */
export function testTarget(): Target {
  const raw = process.env[TEST_TARGET_ENV];
  if (!raw)
    throw new Error(
      `${TEST_TARGET_ENV} is not set: run integration tests through vitest's integration project`,
    );
  return JSON.parse(raw) as Target;
}
