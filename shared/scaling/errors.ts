import { LanesError } from '../errors.ts';

/** Base error of the scaling operations (autoscaling, drain, canary, manual scaling). */
export class ScalingError extends LanesError {
  override name = 'ScalingError';
}

/** The autoscaling policy or a scaling request is not valid; the message names the field and the fix. */
export class ScalingConfigError extends ScalingError {
  override name = 'ScalingConfigError';
}

/** AWS refused or failed a scaling change; the cause holds the service's error. */
export class ScalingApplyError extends ScalingError {
  override name = 'ScalingApplyError';
}
