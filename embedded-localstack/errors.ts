import { LanesError } from '../shared/errors.ts';

/** Raised when LocalStack cannot be provisioned, started or reached; the message says why and what to do. */
export class LocalStackError extends LanesError {
  override name = 'LocalStackError';
}
