import { describe, expect, it } from 'vitest';
import { laneGroupId, laneHash, laneOf } from '#shared/ingress/lanes.ts';

/**
 * 10,000 keys shaped like real partition keys: sequential customer ids, zero-padded account
 * numbers, tenant slugs, e-mail addresses, path-like team ids and short codes. Sequential ids are
 * the hard case for a weak hash (they differ in one or two low bytes).
 */
function realisticKeys(): string[] {
  const keys: string[] = [];
  for (let i = 0; i < 3_000; i++) keys.push(`customer-${i}`);
  for (let i = 0; i < 2_000; i++) keys.push(`acct_${String(i).padStart(8, '0')}`);
  for (let i = 0; i < 1_500; i++) keys.push(`tenant-${(i * 7919).toString(36)}`);
  for (let i = 0; i < 1_500; i++) keys.push(`user${i}@example.com`);
  for (let i = 0; i < 1_000; i++) keys.push(`org/${i % 50}/team/${Math.floor(i / 50)}`);
  for (let i = 0; i < 1_000; i++) keys.push(`x${i}`);
  return keys;
}

function laneCounts(keys: readonly string[], lanes: number): number[] {
  const counts = new Array<number>(lanes).fill(0);
  for (const key of keys) counts[laneOf(key, lanes)] = (counts[laneOf(key, lanes)] ?? 0) + 1;
  return counts;
}

describe('lanes', () => {
  describe('laneOf', () => {
    it('maps a key to the same lane every time, within range', () => {
      for (const key of ['customer-1', 'customer-2', 'ü-ñ', 'tenant-日本', 'x'.repeat(512)]) {
        const lane = laneOf(key, 8);
        expect(lane).toBeGreaterThanOrEqual(0);
        expect(lane).toBeLessThan(8);
        expect(laneOf(key, 8)).toBe(lane);
      }
    });

    it('is pinned to SHA-256: a change of hash would re-map keys of running pipelines', () => {
      // First 48 bits of sha256('customer-1'); recompute with
      // `printf customer-1 | sha256sum | cut -c1-12` if this ever has to change (drain first).
      expect(laneHash('customer-1')).toBe(0xe83f10dcd2c6);
      expect(laneHash('')).toBe(0xe3b0c44298fc);
    });

    it('spreads 10,000 realistic keys over 8 lanes, each lane within ±10 % of the mean', () => {
      const keys = realisticKeys();
      expect(new Set(keys).size).toBe(10_000);
      const counts = laneCounts(keys, 8);
      const mean = keys.length / 8;
      for (const [lane, count] of counts.entries()) {
        expect(Math.abs(count - mean), `lane ${lane}: ${count} keys (mean ${mean})`).toBeLessThan(
          mean * 0.1,
        );
      }
    });

    it('separates keys that differ by 8 in a low byte (customer-1 and customer-9, x0 and x8)', () => {
      // With FNV-1a and 8 lanes every such pair shared a lane; a good hash shares about 1 in 8.
      const pairs = Array.from({ length: 1_000 }, (_, i) => [`customer-${i}1`, `customer-${i}9`]);
      pairs.push(['x0', 'x8'], ['customer-1', 'customer-9']);
      const same = pairs.filter(([a, b]) => laneOf(a as string, 8) === laneOf(b as string, 8));
      expect(same.length).toBeLessThan(pairs.length * 0.2);
      expect(
        laneOf('customer-1', 8) === laneOf('customer-9', 8) && laneOf('x0', 8) === laneOf('x8', 8),
      ).toBe(false);
    });

    it('keeps case significant', () => {
      const differing = Array.from({ length: 100 }, (_, i) => [
        `Tenant-${i}`,
        `tenant-${i}`,
      ]).filter(([a, b]) => laneOf(a as string, 8) !== laneOf(b as string, 8));
      expect(differing.length).toBeGreaterThan(50);
    });

    it('rejects a lane count that is not a positive integer', () => {
      expect(() => laneOf('k', 0)).toThrow(/lanes must be a positive integer \(given 0\)/);
    });
  });

  it('names the message group of a lane', () => {
    expect(laneGroupId(3)).toBe('lane-3');
  });
});
