/**
 * Reads a required environment variable, failing fast with its name when it is missing or empty.
 *
 * @example
 * const tableName = requireEnv('RESULTS_TABLE_NAME');
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `Missing environment variable ${name}: set it in the function's environment (the construct that creates the function normally does) or in your shell.`,
    );
  }
  return value;
}
