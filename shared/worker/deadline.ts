import { setMaxListeners } from 'node:events';
import { RecordTimeoutError } from './errors.ts';

/**
 * Time the worker keeps between its stop point and the function timeout: enough to abort what
 * still runs, build the partial batch response and hand it back before Lambda would time the
 * invocation out (which would fail the whole batch, finished records included).
 */
export const STOP_MARGIN_MS = 500;

export interface InvocationDeadlineOptions {
  /** Time left in the invocation when it started (`context.getRemainingTimeInMillis()`). */
  readonly remainingMs: number | undefined;
  /**
   * Longest time one record may take; cut to the time to the stop point if longer. @default -
   * half of the time to the stop point at the start of the invocation
   */
  readonly recordBudgetMs?: number;
  /** @default STOP_MARGIN_MS */
  readonly stopMarginMs?: number;
  /** @default - () => Date.now() */
  readonly now?: () => number;
}

/**
 * The time rules of one invocation: a stop point `stopMarginMs` before the function timeout, at
 * which `signal` aborts and `reached` resolves, and a per-record budget: a record starts only if
 * the time to the stop point covers its budget, and runs at most that long.
 *
 * Our own code: Powertools' batch processors have no notion of the invocation's deadline, and
 * middy's early timeout fails the whole batch (finished records included) a few milliseconds
 * before the end.
 *
 * @example
 * const deadline = new InvocationDeadline({ remainingMs: context.getRemainingTimeInMillis(), recordBudgetMs: 2_000 });
 * if (deadline.canStart()) await runWithinBudget((signal) => work(signal), deadline);
 * deadline.dispose();
 */
export class InvocationDeadline {
  /** Longest time one record may take in this invocation. */
  public readonly recordBudgetMs: number;
  /** True when the requested budget was longer than the invocation and was cut to fit it. */
  public readonly budgetClamped: boolean;
  /** Resolves at the stop point (never, without a Lambda context). */
  public readonly reached: Promise<void>;
  readonly #controller = new AbortController();
  readonly #stopAtMs: number;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #resolve: () => void = () => {};

  public constructor(options: InvocationDeadlineOptions) {
    this.#now = options.now ?? (() => Date.now());
    const margin = options.stopMarginMs ?? STOP_MARGIN_MS;
    const remaining = options.remainingMs;
    const toStopMs =
      remaining === undefined || !Number.isFinite(remaining)
        ? Number.POSITIVE_INFINITY
        : Math.max(0, remaining - margin);
    this.#stopAtMs = this.#now() + toStopMs;
    const requested =
      options.recordBudgetMs ??
      (Number.isFinite(toStopMs) ? Math.floor(toStopMs / 2) : Number.POSITIVE_INFINITY);
    // A budget longer than the whole invocation would never let a record start: the first one
    // gets all the time there is instead.
    this.budgetClamped = requested > toStopMs;
    this.recordBudgetMs = Math.min(requested, toStopMs);
    this.reached = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    // Each record in flight listens here (runWithinBudget) and stops listening when it ends, so
    // a standard queue's batch of 50 has 50 listeners at once: no leak, and no reason for Node's
    // warning at 11, which the function's log would print for each such invocation.
    setMaxListeners(0, this.#controller.signal);
    if (Number.isFinite(toStopMs)) {
      this.#timer = setTimeout(() => this.stop(), toStopMs);
    }
  }

  /** Aborted at the stop point (or by {@link stop}): records still running are abandoned. */
  public get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Milliseconds until the stop point (0 once reached). */
  public msToStop(): number {
    if (this.#controller.signal.aborted) return 0;
    return Math.max(0, this.#stopAtMs - this.#now());
  }

  /**
   * Whether a record may start now: the time to the stop point covers one record's budget. A
   * budget cut to the invocation covers whatever time is left (a millisecond gone since the start
   * must not refuse every record).
   */
  public canStart(): boolean {
    if (this.#controller.signal.aborted) return false;
    const left = this.msToStop();
    return this.budgetClamped ? left > 0 : left >= this.recordBudgetMs;
  }

  /** How long a record started now may run: its budget, or less if the stop point is nearer. */
  public allowanceMs(): number {
    return Math.min(this.recordBudgetMs, this.msToStop());
  }

  /** Reaches the stop point now (middy's early timeout, or the end of the invocation). */
  public stop(reason?: unknown): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    this.#resolve();
  }

  /** Clears the timer once the batch is done; records abandoned earlier stay aborted. */
  public dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Runs `work` with an abort signal that fires when the record's allowance runs out or the
 * invocation reaches its stop point, and rejects with {@link RecordTimeoutError} at that moment:
 * the caller goes on without waiting. The abandoned work keeps running until it notices its
 * signal (the runtime's transactional commit refuses to start once it is aborted).
 *
 * @example
 * await runWithinBudget((signal) => processEvent(event, { signal }), deadline, record.messageId);
 */
export async function runWithinBudget<T>(
  work: (signal: AbortSignal) => Promise<T>,
  deadline: InvocationDeadline,
  messageId: string,
): Promise<T> {
  const allowanceMs = deadline.allowanceMs();
  const controller = new AbortController();
  const startedMs = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onStop: (() => void) | undefined;
  const abandoned = new Promise<never>((_, reject) => {
    const abandon = () => {
      const error = new RecordTimeoutError(
        messageId,
        deadline.recordBudgetMs,
        Date.now() - startedMs,
      );
      controller.abort(error);
      reject(error);
    };
    if (Number.isFinite(allowanceMs)) timer = setTimeout(abandon, allowanceMs);
    onStop = abandon;
    if (deadline.signal.aborted) abandon();
    else deadline.signal.addEventListener('abort', onStop, { once: true });
  });
  const running = work(controller.signal);
  // Whatever the abandoned work does later must not surface as an unhandled rejection.
  running.catch(() => {});
  try {
    return await Promise.race([running, abandoned]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (onStop) deadline.signal.removeEventListener('abort', onStop);
  }
}
