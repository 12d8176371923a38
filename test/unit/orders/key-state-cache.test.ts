import { describe, expect, it } from 'vitest';
import { KeyStateCache } from '#orders/domain/orders.ts';

describe('KeyStateCache', () => {
  it('keeps the last state per key and forgets on request', () => {
    const cache = new KeyStateCache();
    cache.set('c1', { ordinal: 1, sequences: {} });
    cache.set('c1', { ordinal: 2, sequences: { 'seq#p': 2 } });
    expect(cache.get('c1')).toEqual({ ordinal: 2, sequences: { 'seq#p': 2 } });
    cache.forget('c1');
    expect(cache.get('c1')).toBeUndefined();
  });

  it('forgets every key when a new invocation starts, not within one', () => {
    const cache = new KeyStateCache();
    cache.startInvocation('req-1');
    cache.set('c1', { ordinal: 1, sequences: {} });
    cache.startInvocation('req-1');
    expect(cache.get('c1')?.ordinal).toBe(1);
    cache.startInvocation('req-2');
    expect(cache.get('c1')).toBeUndefined();
  });

  it('is bounded: past maxKeys the key set longest ago goes first', () => {
    const cache = new KeyStateCache(2);
    cache.set('a', { ordinal: 1, sequences: {} });
    cache.set('b', { ordinal: 1, sequences: {} });
    cache.set('a', { ordinal: 2, sequences: {} }); // a is now the newest
    cache.set('c', { ordinal: 1, sequences: {} });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.ordinal).toBe(2);
    expect(cache.get('c')?.ordinal).toBe(1);
  });
});
