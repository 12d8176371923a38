import { describe, expect, it } from 'vitest';
import { fnv1a32, laneGroupId, laneOf } from '#shared/ingress/lanes.ts';

describe('lanes', () => {
  it('hashes with FNV-1a 32 (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('maps a key to the same lane every time, within range', () => {
    for (const key of ['customer-1', 'customer-2', 'ü-ñ', 'x'.repeat(128)]) {
      const lane = laneOf(key, 8);
      expect(lane).toBeGreaterThanOrEqual(0);
      expect(lane).toBeLessThan(8);
      expect(laneOf(key, 8)).toBe(lane);
    }
  });

  it('spreads 1,000 keys over 8 lanes within 25% of the mean', () => {
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 1000; i++) counts[laneOf(`customer-${i}`, 8)]++;
    for (const count of counts) expect(Math.abs(count - 125)).toBeLessThan(125 * 0.25);
  });

  it('rejects a lane count that is not a positive integer', () => {
    expect(() => laneOf('k', 0)).toThrow(/lanes must be a positive integer \(given 0\)/);
  });

  it('names the message group of a lane', () => {
    expect(laneGroupId(3)).toBe('lane-3');
  });
});
