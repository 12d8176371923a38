import type { Random } from './random.ts';

/** How fast a producer sends, as the workload file states it (rates in messages per second). */
export type RateSpec =
  | { readonly shape: 'constant'; readonly perSecond: number }
  | {
      readonly shape: 'ramp';
      readonly fromPerSecond: number;
      readonly toPerSecond: number;
      readonly overSeconds: number;
    }
  | {
      readonly shape: 'spike';
      readonly basePerSecond: number;
      readonly messages: number;
      readonly atSeconds: number;
      readonly forSeconds: number;
    }
  | {
      readonly shape: 'diurnal';
      readonly meanPerSecond: number;
      readonly amplitude: number;
      readonly periodSeconds: number;
      readonly peakAtSeconds: number;
    };

/** Messages per second at `seconds` after the producer started. */
export function rateAt(spec: RateSpec, seconds: number): number {
  switch (spec.shape) {
    case 'constant':
      return spec.perSecond;
    case 'ramp': {
      const f = Math.min(1, Math.max(0, seconds / spec.overSeconds));
      return spec.fromPerSecond + (spec.toPerSecond - spec.fromPerSecond) * f;
    }
    case 'spike': {
      const inSpike = seconds >= spec.atSeconds && seconds < spec.atSeconds + spec.forSeconds;
      return spec.basePerSecond + (inSpike ? spec.messages / spec.forSeconds : 0);
    }
    case 'diurnal': {
      const phase = (2 * Math.PI * (seconds - spec.peakAtSeconds)) / spec.periodSeconds;
      return Math.max(0, spec.meanPerSecond * (1 + spec.amplitude * Math.cos(phase)));
    }
  }
}

/**
 * Expected messages in [fromS, toS) (midpoint rule on sub-steps; exact for constant, ramp and
 * spike edges that fall on tick boundaries).
 */
export function expectedMessages(spec: RateSpec, fromS: number, toS: number): number {
  if (spec.shape === 'spike') {
    const overlap = Math.max(
      0,
      Math.min(toS, spec.atSeconds + spec.forSeconds) - Math.max(fromS, spec.atSeconds),
    );
    return spec.basePerSecond * (toS - fromS) + (spec.messages / spec.forSeconds) * overlap;
  }
  return rateAt(spec, (fromS + toS) / 2) * (toS - fromS);
}

/** How counts are drawn from the expected number. */
export type ArrivalProcess = 'poisson' | 'even';

/**
 * Counts of arrivals per tick: Poisson draws (independent senders), or `even` (a steady sender:
 * the fractional part carries over, so the total is exact).
 */
export class ArrivalCounter {
  #carry = 0;
  public constructor(
    private readonly process: ArrivalProcess,
    private readonly random: Random,
  ) {}

  public count(expected: number): number {
    if (this.process === 'poisson') return this.random.poisson(expected);
    const total = expected + this.#carry;
    const n = Math.floor(total + 1e-9);
    this.#carry = total - n;
    return n;
  }
}

/** A recorded arrival log: send times (ms from the start) and optional key names. */
export interface ArrivalLog {
  readonly timesMs: Float64Array;
  readonly keys: readonly (string | undefined)[];
}

/**
 * Parses an arrival log: CSV with a header (`timeMs` or `time` (ISO 8601), optional `key`), or JSON
 * lines with the same fields. Times are made relative to the first arrival and sorted.
 *
 * @example
 * parseArrivalLog('timeMs,key\n0,a\n12,b\n', 'log.csv').timesMs; // [0, 12]
 */
export function parseArrivalLog(
  text: string,
  source: string,
  fail: (problem: string) => never,
): ArrivalLog {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const rows: { t: number; key: string | undefined }[] = [];
  const toTime = (value: unknown, line: number): number => {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string' && value.trim() !== '') {
      const ms = Number(value);
      if (Number.isFinite(ms)) return ms;
      const date = Date.parse(value);
      if (!Number.isNaN(date)) return date;
    }
    return fail(
      `${source} line ${line}: time must be milliseconds or an ISO 8601 date (given ${JSON.stringify(value)})`,
    );
  };
  if (lines[0]?.trimStart().startsWith('{')) {
    lines.forEach((line, i) => {
      let row: { timeMs?: unknown; time?: unknown; key?: unknown };
      try {
        row = JSON.parse(line);
      } catch {
        fail(`${source} line ${i + 1}: not a JSON object (given ${line.slice(0, 60)})`);
      }
      const value = row.timeMs ?? row.time;
      if (value === undefined) fail(`${source} line ${i + 1}: needs "timeMs" or "time"`);
      rows.push({
        t: toTime(value, i + 1),
        key: row.key === undefined ? undefined : String(row.key),
      });
    });
  } else {
    const header = (lines[0] ?? '').split(',').map((h) => h.trim());
    const timeColumn = header.findIndex((h) => h === 'timeMs' || h === 'time');
    const keyColumn = header.indexOf('key');
    if (timeColumn < 0)
      fail(
        `${source} line 1: the header needs a timeMs or time column (given ${lines[0] ?? 'nothing'})`,
      );
    for (let i = 1; i < lines.length; i++) {
      const cells = (lines[i] as string).split(',');
      rows.push({
        t: toTime(cells[timeColumn]?.trim(), i + 1),
        key: keyColumn >= 0 ? cells[keyColumn]?.trim() || undefined : undefined,
      });
    }
  }
  if (rows.length === 0) fail(`${source}: no arrivals`);
  rows.sort((a, b) => a.t - b.t);
  const first = (rows[0] as { t: number }).t;
  return {
    timesMs: Float64Array.from(rows, (r) => r.t - first),
    keys: rows.map((r) => r.key),
  };
}
