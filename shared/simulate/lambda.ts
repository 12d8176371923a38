import { AWS } from './limits.ts';
import { Deque } from './structures.ts';

/** Unreserved account concurrency shared by the functions without a reservation. */
export class ConcurrencyPool {
  public used = 0;
  public constructor(public readonly limit: number) {}
}

/** Settings of a function, from the template. */
export interface FunctionSettings {
  readonly name: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly arm: boolean;
  /** ReservedConcurrentExecutions; undefined: the account's unreserved pool. */
  readonly reservedConcurrency: number | undefined;
}

/** What an invocation attempt got. */
export type StartResult = 'warm' | 'cold' | 'throttled';

/**
 * A Lambda function: concurrency (reserved, or the account's unreserved pool), execution
 * environments (warm ones reused most recent first, reclaimed after an idle time; a new one is a
 * cold start), and the function scaling rate (1,000 new environments per 10 s).
 *
 * @example
 * const fn = new FunctionModel(settings, pool, { idleEnvironmentMs: 300_000 });
 * if (fn.tryStart(now) !== 'throttled') fn.finish(now + 40, true);
 */
export class FunctionModel {
  public running = 0;
  public peakRunning = 0;
  public invocations = 0;
  public throttles = 0;
  public coldStarts = 0;
  /** Billed duration × memory, GB-seconds. */
  public gbSeconds = 0;
  readonly #idle = new Deque<number>();
  #tokens: number = AWS.lambda.environmentsPer10Seconds;
  #tokensAt = 0;

  public constructor(
    public readonly settings: FunctionSettings,
    private readonly pool: ConcurrencyPool,
    private readonly options: { readonly idleEnvironmentMs: number },
  ) {}

  /** Execution environments that exist now (running and idle). */
  public get environments(): number {
    return this.running + this.#idle.size;
  }

  /** The concurrency this function can reach now. */
  public get limit(): number {
    const reserved = this.settings.reservedConcurrency;
    return reserved ?? this.running + Math.max(0, this.pool.limit - this.pool.used);
  }

  /** Starts an invocation if concurrency and the scaling rate allow. */
  public tryStart(now: number): StartResult {
    const reserved = this.settings.reservedConcurrency;
    const full =
      reserved !== undefined ? this.running >= reserved : this.pool.used >= this.pool.limit;
    if (full) {
      this.throttles++;
      return 'throttled';
    }
    this.#reclaimIdle(now);
    let result: StartResult = 'warm';
    if (this.#idle.size > 0) {
      this.#idle.popBack();
    } else {
      this.#refill(now);
      if (this.#tokens < 1) {
        this.throttles++;
        return 'throttled';
      }
      this.#tokens -= 1;
      this.coldStarts++;
      result = 'cold';
    }
    this.running++;
    if (reserved === undefined) this.pool.used++;
    if (this.running > this.peakRunning) this.peakRunning = this.running;
    this.invocations++;
    return result;
  }

  /**
   * Ends an invocation that billed `billedMs`; its environment stays warm unless `reuse` is false
   * (a timed-out environment is replaced).
   */
  public finish(now: number, billedMs: number, reuse: boolean): void {
    this.running--;
    if (this.settings.reservedConcurrency === undefined) this.pool.used--;
    this.gbSeconds += (Math.ceil(billedMs) / 1000) * (this.settings.memoryMb / 1024);
    if (reuse) this.#idle.pushBack(now);
  }

  #reclaimIdle(now: number): void {
    const oldest = now - this.options.idleEnvironmentMs;
    while (this.#idle.size > 0 && (this.#idle.peekFront() as number) < oldest)
      this.#idle.popFront();
  }

  #refill(now: number): void {
    const perMs = AWS.lambda.environmentsPer10Seconds / 10_000;
    this.#tokens = Math.min(
      AWS.lambda.environmentsPer10Seconds,
      this.#tokens + (now - this.#tokensAt) * perMs,
    );
    this.#tokensAt = now;
  }
}
