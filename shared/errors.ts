/**
 * Base class of every error lanes raises. Each module has its own subclass (`PublishError`,
 * `WorkerError`, `CoordinationError`, ...), so callers can catch one module's errors or all of
 * them, and every message says what went wrong and how to fix it.
 *
 * @example
 * try {
 *   await publisher.publish(inputs);
 * } catch (error) {
 *   if (error instanceof LanesError) console.error(`${error.name}: ${error.message}`);
 *   else throw error;
 * }
 */
export class LanesError extends Error {
  override name = 'LanesError';
}
