import { LanesError } from '../shared/errors.ts';

/**
 * A command was called wrongly (unknown option, missing argument, bad value). The CLI prints the
 * message and the command's usage, and exits with status 2.
 */
export class UsageError extends LanesError {
  override name = 'UsageError';
}

/**
 * Parses a non-negative or positive integer option, or throws a UsageError naming the option.
 *
 * @example
 * const max = integerOption('max', values.max, { min: 1 });
 */
export function integerOption(
  name: string,
  raw: string | undefined,
  range: { readonly min?: number; readonly max?: number } = {},
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      `--${name} must be an integer between ${min} and ${max} (given ${JSON.stringify(raw)})`,
    );
  }
  return value;
}
