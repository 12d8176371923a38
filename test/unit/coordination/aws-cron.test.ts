import { describe, expect, it } from 'vitest';
import { AwsCron } from '#shared/coordination/aws-cron.ts';
import { InvalidCronExpressionError } from '#shared/coordination/errors.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('AwsCron', () => {
  describe('evaluates EventBridge expressions in UTC', () => {
    it('weekdays at noon, by name and by AWS number (2-6 = MON-FRI)', () => {
      for (const expression of ['cron(0 12 ? * MON-FRI *)', 'cron(0 12 ? * 2-6 *)']) {
        const cron = AwsCron.parse(expression);
        // Saturday 2026-03-07 09:00 -> Friday noon; Friday noon -> Monday noon.
        expect(iso(cron.latestAtOrBefore(at('2026-03-07T09:00:00Z')))).toBe(
          '2026-03-06T12:00:00.000Z',
        );
        expect(iso(cron.nextAfter(at('2026-03-06T12:00:00Z')))).toBe('2026-03-09T12:00:00.000Z');
      }
    });

    it('counts days of the week from 1 = Sunday, as AWS does (cron-parser counts from 0)', () => {
      expect(iso(AwsCron.parse('cron(0 10 ? * 1 *)').nextAfter(at('2026-03-04T00:00:00Z')))).toBe(
        '2026-03-08T10:00:00.000Z', // a Sunday
      );
      expect(iso(AwsCron.parse('cron(0 10 ? * 7 *)').nextAfter(at('2026-03-04T00:00:00Z')))).toBe(
        '2026-03-07T10:00:00.000Z', // a Saturday
      );
      expect(iso(AwsCron.parse('cron(0 10 ? * L *)').nextAfter(at('2026-03-04T00:00:00Z')))).toBe(
        '2026-03-07T10:00:00.000Z', // L alone: the last day of the week, Saturday
      );
    });

    it('supports ?, L, nL and # as AWS documents them', () => {
      const next = (expression: string) =>
        iso(AwsCron.parse(expression).nextAfter(at('2026-03-04T00:00:00Z')));
      expect(next('cron(0 12 L * ? *)')).toBe('2026-03-31T12:00:00.000Z'); // last day of month
      expect(next('cron(15 10 ? * 6L *)')).toBe('2026-03-27T10:15:00.000Z'); // last Friday
      expect(next('cron(0 12 ? * 6#3 *)')).toBe('2026-03-20T12:00:00.000Z'); // third Friday
      expect(next('cron(0/15 * * * ? *)')).toBe('2026-03-04T00:15:00.000Z');
      expect(next('0 8 1 * ? *')).toBe('2026-04-01T08:00:00.000Z'); // without cron( )
    });

    it('treats a tick at the exact time as at-or-before, and nextAfter as strictly after', () => {
      const cron = AwsCron.parse('cron(0 * * * ? *)');
      expect(iso(cron.latestAtOrBefore(at('2026-03-04T10:00:00Z')))).toBe(
        '2026-03-04T10:00:00.000Z',
      );
      expect(iso(cron.nextAfter(at('2026-03-04T10:00:00Z')))).toBe('2026-03-04T11:00:00.000Z');
    });

    it('honours the year field, with no time outside it', () => {
      const cron = AwsCron.parse('cron(0 0 1 1 ? 2027-2028)');
      expect(iso(cron.nextAfter(at('2026-03-04T00:00:00Z')))).toBe('2027-01-01T00:00:00.000Z');
      expect(iso(cron.nextAfter(at('2027-01-01T00:00:00Z')))).toBe('2028-01-01T00:00:00.000Z');
      expect(cron.nextAfter(at('2028-01-01T00:00:00Z'))).toBeUndefined();
      expect(cron.latestAtOrBefore(at('2026-12-31T23:59:59Z'))).toBeUndefined();
      expect(iso(cron.latestAtOrBefore(at('2031-06-01T00:00:00Z')))).toBe(
        '2028-01-01T00:00:00.000Z',
      );
      const everyOther = AwsCron.parse('cron(0 0 1 1 ? 2026/2)');
      expect(iso(everyOther.nextAfter(at('2026-03-04T00:00:00Z')))).toBe(
        '2028-01-01T00:00:00.000Z',
      );
    });
  });

  describe('refuses what it cannot evaluate, naming the expression and the reason', () => {
    it.each([
      ['cron(0 12 * * *)', /has 5 fields, EventBridge cron has 6/],
      [
        'cron(0 12 * * MON *)',
        /exactly one of day-of-month \(\*\) and day-of-week \(MON\) must be \?/,
      ],
      ['cron(0 12 ? * ? *)', /exactly one of day-of-month/],
      ['cron(0 12 15W * ? *)', /uses W \(nearest weekday\)/],
      ['cron(0 12 * * ? 1969)', /year field "1969" is outside 1970-2199/],
      ['cron(0 12 * * ? 20x6)', /year field "20x6" must be/],
      ['cron(61 12 * * ? *)', /Cron expression "cron\(61 12 \* \* \? \*\)" is not usable: /],
    ])('%s', (expression, message) => {
      expect(() => AwsCron.parse(expression)).toThrow(InvalidCronExpressionError);
      expect(() => AwsCron.parse(expression)).toThrow(message);
    });
  });
});
