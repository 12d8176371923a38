import { LanesError } from '../errors.ts';

/** A capacity plan's input is out of range; the message names the input, the value and the range. */
export class PlanInputError extends LanesError {
  override name = 'PlanInputError';
}
