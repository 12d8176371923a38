import { AWS_LIMITS } from './limits.ts';

/** How a mapping gets from idle to the planned concurrency. */
export interface RampEstimate {
  /** `standard`: 5, then +300 per minute; `provisioned`: the minimum pollers' concurrency, then +1,000 per minute; `fifo`: not documented. */
  readonly mode: 'standard' | 'provisioned' | 'fifo';
  /** Concurrent batches when messages appear. */
  readonly fromConcurrency: number;
  /** Seconds to reach the planned concurrency; undefined where AWS documents no ramp (FIFO). */
  readonly seconds: number | undefined;
  /** Most messages waiting while the mapping ramps, for the rate arriving at once from idle. */
  readonly backlogPeakMessages: number;
  /** True when even the planned concurrency falls short of the rate: the backlog never clears. */
  readonly backlogGrows: boolean;
}

export interface RampInput {
  readonly fifo: boolean;
  readonly provisioned: boolean;
  /** Provisioned mode: concurrency the minimum pollers keep ready. */
  readonly startConcurrency: number | undefined;
  readonly targetConcurrency: number;
  readonly ratePerSecond: number;
  /** Messages per second one concurrent batch processes. */
  readonly messagesPerSecondPerUnit: number;
}

/**
 * The time a mapping takes to scale from idle to `targetConcurrency` (AWS, docs/aws-limits.md:
 * standard queues start at 5 concurrent batches and add up to 300 per minute; provisioned mode
 * keeps its minimum pollers' 10 invokes each ready and adds about 1,000 per minute) and the
 * backlog a step from 0 to `ratePerSecond` builds meanwhile, in one-second steps.
 *
 * @example
 * rampToConcurrency({ fifo: false, provisioned: false, startConcurrency: undefined,
 *   targetConcurrency: 155, ratePerSecond: 3000, messagesPerSecondPerUnit: 25 }).seconds; // 30
 */
export function rampToConcurrency(input: RampInput): RampEstimate {
  const target = input.targetConcurrency;
  if (input.fifo) {
    // AWS documents no ramp for FIFO mappings: concurrency follows the active message groups.
    return {
      mode: 'fifo',
      fromConcurrency: target,
      seconds: undefined,
      backlogPeakMessages: 0,
      backlogGrows: false,
    };
  }
  const mode = input.provisioned ? 'provisioned' : 'standard';
  const from = Math.min(
    target,
    input.provisioned
      ? (input.startConcurrency ?? 2 * AWS_LIMITS.invokesPerPoller)
      : AWS_LIMITS.standardInitialConcurrency,
  );
  const perSecond =
    (input.provisioned
      ? AWS_LIMITS.provisionedScaleUpPerMinute
      : AWS_LIMITS.standardScaleUpPerMinute) / 60;
  const seconds = (target - from) / perSecond;
  let backlog = 0;
  let peak = 0;
  for (let t = 0; t <= Math.ceil(seconds); t++) {
    const concurrency = Math.min(target, from + perSecond * t);
    backlog = Math.max(
      0,
      backlog + input.ratePerSecond - concurrency * input.messagesPerSecondPerUnit,
    );
    peak = Math.max(peak, backlog);
  }
  const backlogGrows = target * input.messagesPerSecondPerUnit < input.ratePerSecond;
  return {
    mode,
    fromConcurrency: from,
    seconds,
    backlogPeakMessages: Math.round(peak),
    backlogGrows,
  };
}
