import { type CronExpression, CronExpressionParser } from 'cron-parser';
import { InvalidCronExpressionError } from './errors.ts';

/**
 * EventBridge (AWS) cron expressions evaluated with `cron-parser`, which speaks the Quartz-like
 * dialect with an optional seconds field but differs from AWS in three ways this module bridges:
 * - AWS has a year field (sixth): cron-parser has none, so years are filtered here;
 * - AWS numbers days of the week 1-7 from Sunday (`1` = SUN, `L` alone = SAT), cron-parser 0-7
 *   from Sunday (`0`/`7` = SUN): numbers are shifted by one;
 * - AWS's `W` (nearest weekday) is not supported by cron-parser: refused with a clear error.
 * Times are UTC, like EventBridge rules. Written here because no maintained package evaluates
 * the AWS dialect; the calendar arithmetic itself stays cron-parser's.
 */

const FIELD_NAMES = ['minutes', 'hours', 'day-of-month', 'month', 'day-of-week', 'year'] as const;
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;

/** The years a year field allows, as a predicate (AWS: 1970-2199, with `,` `-` `*` `/`). */
function parseYears(field: string, expression: string): (year: number) => boolean {
  if (field === '*') return () => true;
  const parts = field.split(',').map((part) => {
    const match = /^(\*|\d{4})(?:-(\d{4}))?(?:\/(\d+))?$/.exec(part);
    if (!match) {
      throw new InvalidCronExpressionError(
        expression,
        `year field ${JSON.stringify(field)} must be *, a year, a range a-b, or a step a/n (years ${MIN_YEAR}-${MAX_YEAR})`,
      );
    }
    const from = match[1] === '*' ? MIN_YEAR : Number(match[1]);
    const to = match[2] ? Number(match[2]) : match[1] === '*' || match[3] ? MAX_YEAR : from;
    const step = match[3] ? Number(match[3]) : 1;
    if (from < MIN_YEAR || to > MAX_YEAR || to < from || step < 1) {
      throw new InvalidCronExpressionError(
        expression,
        `year field ${JSON.stringify(field)} is outside ${MIN_YEAR}-${MAX_YEAR} or has an empty range`,
      );
    }
    return (year: number) => year >= from && year <= to && (year - from) % step === 0;
  });
  return (year) => parts.some((allows) => allows(year));
}

/** Shifts AWS day-of-week numbers (1 = SUN) to cron-parser's (0 = SUN); names stay. */
function translateDayOfWeek(field: string): string {
  if (field === 'L') return '6'; // AWS: last day of the week, Saturday
  return field.replace(/(^|[,-])(\d+)/g, (_, separator: string, day: string) => {
    // After `#` comes the nth occurrence, not a day: `6#3` matched only `6` above.
    return `${separator}${Number(day) - 1}`;
  });
}

/**
 * An EventBridge cron schedule: its scheduled times ("ticks"), in epoch milliseconds, UTC.
 *
 * @example
 * const cron = AwsCron.parse('cron(0 12 ? * MON-FRI *)');
 * cron.latestAtOrBefore(Date.parse('2026-03-07T09:00:00Z')); // Friday 2026-03-06 12:00 UTC
 */
export class AwsCron {
  public readonly expression: string;
  readonly #fields: string;
  readonly #allowsYear: (year: number) => boolean;

  private constructor(expression: string, fields: string, allowsYear: (year: number) => boolean) {
    this.expression = expression;
    this.#fields = fields;
    this.#allowsYear = allowsYear;
  }

  /**
   * Parses `cron(...)` or its six fields.
   * @throws InvalidCronExpressionError naming the field and the reason
   */
  public static parse(expression: string): AwsCron {
    const inner = /^cron\((.*)\)$/.exec(expression.trim())?.[1] ?? expression.trim();
    const fields = inner.split(/\s+/);
    if (fields.length !== 6) {
      throw new InvalidCronExpressionError(
        expression,
        `it has ${fields.length} fields, EventBridge cron has 6 (${FIELD_NAMES.join(' ')})`,
      );
    }
    const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
      throw new InvalidCronExpressionError(
        expression,
        `exactly one of day-of-month (${dayOfMonth}) and day-of-week (${dayOfWeek}) must be ?`,
      );
    }
    if (/W/i.test(dayOfMonth)) {
      throw new InvalidCronExpressionError(
        expression,
        `day-of-month ${dayOfMonth} uses W (nearest weekday), which lanes' evaluator (cron-parser) does not support; list the days instead`,
      );
    }
    const translated = [
      '0',
      minutes,
      hours,
      dayOfMonth,
      month,
      dayOfWeek === '?' ? '?' : translateDayOfWeek(dayOfWeek),
    ].join(' ');
    const cron = new AwsCron(expression, translated, parseYears(year, expression));
    try {
      cron.#iterator(Date.UTC(2000, 0, 1)).next();
    } catch (error) {
      throw new InvalidCronExpressionError(expression, (error as Error).message, { cause: error });
    }
    return cron;
  }

  #iterator(currentMs: number): CronExpression {
    return CronExpressionParser.parse(this.#fields, {
      currentDate: new Date(currentMs),
      tz: 'UTC',
    });
  }

  /** The latest tick at or before `timeMs`, or undefined when there is none (year range). */
  public latestAtOrBefore(timeMs: number): number | undefined {
    let cursor = timeMs + 1; // prev() is strictly before its start
    for (let guard = 0; guard < 1_000; guard++) {
      const year = new Date(cursor - 1).getUTCFullYear();
      if (year < MIN_YEAR) return undefined;
      if (!this.#allowsYear(year)) {
        cursor = Date.UTC(year, 0, 1); // jump to the end of the previous year
        continue;
      }
      const tick = this.#tryStep(cursor, 'prev');
      if (tick === undefined) return undefined;
      if (new Date(tick).getUTCFullYear() === year) return tick;
      cursor = Date.UTC(year, 0, 1);
    }
    return undefined;
  }

  /** The first tick strictly after `timeMs`, or undefined when there is none. */
  public nextAfter(timeMs: number): number | undefined {
    let cursor = timeMs;
    for (let guard = 0; guard < 1_000; guard++) {
      const year = new Date(cursor + 1).getUTCFullYear();
      if (year > MAX_YEAR) return undefined;
      if (!this.#allowsYear(year)) {
        cursor = Date.UTC(year + 1, 0, 1) - 1; // jump to the start of the next year
        continue;
      }
      const tick = this.#tryStep(cursor, 'next');
      if (tick === undefined) return undefined;
      if (new Date(tick).getUTCFullYear() === year) return tick;
      cursor = Date.UTC(year + 1, 0, 1) - 1;
    }
    return undefined;
  }

  #tryStep(fromMs: number, direction: 'next' | 'prev'): number | undefined {
    try {
      const iterator = this.#iterator(fromMs);
      return (direction === 'next' ? iterator.next() : iterator.prev()).getTime();
    } catch {
      // cron-parser gives up (loop limit) when no date matches within its search span.
      return undefined;
    }
  }
}
