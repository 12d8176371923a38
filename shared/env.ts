import { LanesError } from './errors.ts';

/** Raised when an environment variable is missing or malformed; names the variable and the fix. */
export class EnvironmentError extends LanesError {
  override name = 'EnvironmentError';
  public constructor(
    public readonly variable: string,
    public readonly value: string | undefined,
    problem: string,
  ) {
    super(
      `Environment variable ${variable} ${problem}${value === undefined ? '' : ` (given ${JSON.stringify(value)})`}: ` +
        "set it in the function's environment (the construct that creates the function normally does) or in your shell.",
    );
  }
}

/**
 * Reads a required environment variable, failing fast with its name when it is missing or empty.
 *
 * @example
 * const tableName = requireEnv('RESULTS_TABLE_NAME');
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new EnvironmentError(name, undefined, 'is missing');
  return value;
}

/**
 * Reads an optional environment variable; empty counts as unset.
 *
 * @example
 * const overlap = optionalEnv('SCHEDULE_OVERLAP') ?? 'skip';
 */
export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Reads an optional integer environment variable, checked against `min` and `max`.
 *
 * @example
 * const maxReceiveCount = integerEnv('LANES_MAX_RECEIVE_COUNT', { min: 1 });
 */
export function integerEnv(
  name: string,
  range: { readonly min?: number; readonly max?: number } = {},
): number | undefined {
  const raw = optionalEnv(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const bounds =
      range.min !== undefined && range.max !== undefined
        ? ` between ${min} and ${max}`
        : range.min !== undefined
          ? ` of at least ${min}`
          : range.max !== undefined
            ? ` of at most ${max}`
            : '';
    throw new EnvironmentError(name, raw, `must be an integer${bounds}`);
  }
  return value;
}
