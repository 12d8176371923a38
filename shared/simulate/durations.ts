import { normalQuantile, type Random } from './random.ts';

/** How long something takes, in milliseconds, as the workload file states it. */
export type DurationSpec =
  | number
  | { readonly distribution: 'fixed'; readonly ms: number }
  | { readonly distribution: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly distribution: 'lognormal'; readonly p50Ms: number; readonly p99Ms: number };

/**
 * A duration distribution with the draws a batch needs: one record, the sum of `n` records
 * processed one after another, and the longest of `n` records processed in parallel.
 */
export interface Duration {
  readonly meanMs: number;
  sample(random: Random): number;
  /** Sum of `n` independent draws (records processed in order). */
  sampleSum(random: Random, n: number): number;
  /** Longest of `n` independent draws (records processed in parallel). */
  sampleMax(random: Random, n: number): number;
  /** Value below which a fraction `p` of the draws fall. */
  quantile(p: number): number;
}

/** Above this many records, sums use the normal approximation (central limit theorem). */
const EXACT_SUM_LIMIT = 32;

abstract class QuantileDuration implements Duration {
  public abstract readonly meanMs: number;
  protected abstract readonly varianceMs2: number;
  public abstract quantile(p: number): number;

  public sample(random: Random): number {
    return this.quantile(random.open());
  }

  public sampleSum(random: Random, n: number): number {
    if (n <= 0) return 0;
    if (n <= EXACT_SUM_LIMIT) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += this.sample(random);
      return sum;
    }
    const sum = n * this.meanMs + Math.sqrt(n * this.varianceMs2) * random.normal();
    return Math.max(0, sum);
  }

  public sampleMax(random: Random, n: number): number {
    if (n <= 0) return 0;
    // The largest of n draws has CDF F(x)^n, so F^-1(U^(1/n)) draws it exactly in one step.
    return this.quantile(random.open() ** (1 / n));
  }
}

class FixedDuration extends QuantileDuration {
  public readonly meanMs: number;
  protected readonly varianceMs2 = 0;
  public constructor(ms: number) {
    super();
    this.meanMs = ms;
  }
  public quantile(): number {
    return this.meanMs;
  }
  public override sampleSum(_random: Random, n: number): number {
    return n * this.meanMs;
  }
}

class UniformDuration extends QuantileDuration {
  public readonly meanMs: number;
  protected readonly varianceMs2: number;
  public constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    super();
    this.meanMs = (minMs + maxMs) / 2;
    this.varianceMs2 = (maxMs - minMs) ** 2 / 12;
  }
  public quantile(p: number): number {
    return this.minMs + (this.maxMs - this.minMs) * p;
  }
}

class LognormalDuration extends QuantileDuration {
  public readonly meanMs: number;
  protected readonly varianceMs2: number;
  readonly #mu: number;
  readonly #sigma: number;
  public constructor(p50Ms: number, p99Ms: number) {
    super();
    this.#mu = Math.log(p50Ms);
    this.#sigma = (Math.log(p99Ms) - this.#mu) / normalQuantile(0.99);
    const s2 = this.#sigma ** 2;
    this.meanMs = Math.exp(this.#mu + s2 / 2);
    this.varianceMs2 = (Math.exp(s2) - 1) * Math.exp(2 * this.#mu + s2);
  }
  public quantile(p: number): number {
    return Math.exp(this.#mu + this.#sigma * normalQuantile(p));
  }
}

/**
 * Builds a duration from its workload form (the schema has checked the numbers).
 *
 * @example
 * const recordMs = durationOf({ distribution: 'lognormal', p50Ms: 4, p99Ms: 20 });
 * recordMs.sampleSum(random, 10); // ten records one after another
 */
export function durationOf(spec: DurationSpec): Duration {
  if (typeof spec === 'number') return new FixedDuration(spec);
  switch (spec.distribution) {
    case 'fixed':
      return new FixedDuration(spec.ms);
    case 'uniform':
      return new UniformDuration(spec.minMs, spec.maxMs);
    case 'lognormal':
      return new LognormalDuration(spec.p50Ms, spec.p99Ms);
  }
}
