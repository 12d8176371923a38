/**
 * Counts of values in logarithmic buckets (2 % wide above 1 ms), weighted: a cohort of `n`
 * messages adds `n` at once. Percentiles are the bucket's upper edge, so within 2 %.
 *
 * @example
 * const dwell = new Histogram();
 * dwell.add(120, 10);
 * dwell.percentile(0.5); // about 120
 */
export class Histogram {
  static readonly #GROWTH = 1.02;
  static readonly #LOG_GROWTH = Math.log(Histogram.#GROWTH);
  #counts = new Float64Array(1024);
  public count = 0;
  public max = 0;
  public sum = 0;

  public add(value: number, weight = 1): void {
    if (weight <= 0) return;
    const v = Math.max(0, value);
    const bucket = v < 1 ? 0 : 1 + Math.floor(Math.log(v) / Histogram.#LOG_GROWTH);
    if (bucket >= this.#counts.length) {
      const grown = new Float64Array(Math.max(bucket + 1, this.#counts.length * 2));
      grown.set(this.#counts);
      this.#counts = grown;
    }
    this.#counts[bucket] = (this.#counts[bucket] as number) + weight;
    this.count += weight;
    this.sum += v * weight;
    if (v > this.max) this.max = v;
  }

  public get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Value at or below which a fraction `q` of the weight lies. */
  public percentile(q: number): number {
    if (this.count === 0) return 0;
    const target = q * this.count;
    let seen = 0;
    for (let b = 0; b < this.#counts.length; b++) {
      seen += this.#counts[b] as number;
      if (seen >= target && (this.#counts[b] as number) > 0) {
        return Math.min(this.max, b === 0 ? 1 : Histogram.#GROWTH ** b);
      }
    }
    return this.max;
  }
}
