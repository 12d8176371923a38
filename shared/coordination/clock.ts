/**
 * The one clock the coordination library reads. Inject a {@link ManualClock} in tests to move time
 * across expiry edges; production uses {@link systemClock}.
 *
 * Clock assumption: lease expiry is a wall-clock comparison between the `expiresAtMs` a holder
 * stored (holder's clock) and the contender's `nowMs()` (contender's clock). See `lease.ts` for the
 * skew this tolerates and why fencing tokens keep writes safe when the assumption fails.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** Wall clock of this process (`Date.now()`). Lambda hosts are synchronised by Amazon Time Sync. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * A clock that only moves when told to.
 *
 * @example
 * const clock = new ManualClock(1_000);
 * clock.advance(500);
 * clock.nowMs(); // 1500
 */
export class ManualClock implements Clock {
  #nowMs: number;
  public constructor(startMs = 0) {
    this.#nowMs = startMs;
  }
  public nowMs(): number {
    return this.#nowMs;
  }
  /** Moves time forward by `ms` (negative values move it back, to simulate skew). */
  public advance(ms: number): void {
    this.#nowMs += ms;
  }
  public set(ms: number): void {
    this.#nowMs = ms;
  }
}
