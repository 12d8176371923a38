/**
 * A cohort: messages that are alike for the model (same queue position, receive count, key or
 * group, producer) kept as one record with a count. Their send times are spread between `t0`
 * (first) and `t1` (last); message `i` of `n` was sent at `t0 + (t1 - t0) * i / (n - 1)`. In
 * per-event mode every cohort holds one message at its exact send time.
 */
export interface Cohort {
  /** Messages in the cohort. */
  n: number;
  /** Send time of the first message, ms of virtual time. */
  t0: number;
  /** Send time of the last message. */
  t1: number;
  /** Receives so far (SQS ApproximateReceiveCount). */
  rc: number;
  /** Partition key index; -1 until drawn (see KeyDistribution.sampleInGroup). */
  key: number;
  /** FIFO message group or fair-queue tenant; -1 on a plain standard queue. */
  group: number;
  /** Index of the producer that sent it (its key distribution); -1 when unknown. */
  src: number;
}

/** A new cohort. */
export function cohort(
  n: number,
  t0: number,
  t1: number,
  key: number,
  group: number,
  src: number,
  rc = 0,
): Cohort {
  return { n, t0, t1, rc, key, group, src };
}

/**
 * Splits off the first `k` messages of `c` (k < c.n) as a new cohort; `c` keeps the rest.
 *
 * @example
 * const first = takeFront(c, 10); // c.n is now 10 fewer
 */
export function takeFront(c: Cohort, k: number): Cohort {
  const span = c.n > 1 ? (c.t1 - c.t0) / (c.n - 1) : 0;
  const first: Cohort = {
    n: k,
    t0: c.t0,
    t1: c.t0 + span * (k - 1),
    rc: c.rc,
    key: c.key,
    group: c.group,
    src: c.src,
  };
  c.t0 += span * k;
  c.n -= k;
  return first;
}

/** Mean send time of a cohort's messages. */
export function meanSendTime(c: Cohort): number {
  return (c.t0 + c.t1) / 2;
}
