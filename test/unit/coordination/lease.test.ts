import { describe, expect, it } from 'vitest';
import { ManualClock } from '#shared/coordination/clock.ts';
import {
  CoordinationConfigError,
  LeaseHeldError,
  LeaseLostError,
} from '#shared/coordination/errors.ts';
import { leaseContract } from '#test/unit/coordination/support/lease-contract.ts';
import { type Item, MemoryLeaseStore } from '#test/unit/coordination/support/memory-lease-store.ts';

let counter = 0;
// Every store shares one item map, like processes sharing one table; names are unique per test.
const table = new Map<string, Item>();
leaseContract(
  'memory model',
  (options) => new MemoryLeaseStore({ ...options, items: table }),
  () => `lease-${++counter}`,
);

describe('LeaseStore', () => {
  describe('local validity', () => {
    it('ends validity the skew tolerance before the stored expiry', async () => {
      const clock = new ManualClock(1_000_000);
      const store = new MemoryLeaseStore({ clock, clockSkewToleranceMs: 250 });

      const lease = await store.acquire('x', { durationMs: 2_000 });

      expect(lease.expiresAtMs).toBe(1_002_000);
      expect(lease.validUntilMs).toBe(1_001_750);
      clock.set(1_001_749);
      expect(store.isValid(lease)).toBe(true);
      clock.set(1_001_750);
      expect(store.isValid(lease)).toBe(false);
    });

    it('defaults the skew tolerance to min(1 s, duration / 10)', async () => {
      const store = new MemoryLeaseStore({ clock: new ManualClock(0) });

      const short = await store.acquire('short', { durationMs: 500 });
      const long = await store.acquire('long', { durationMs: 60_000 });

      expect(short.expiresAtMs - short.validUntilMs).toBe(50);
      expect(long.expiresAtMs - long.validUntilMs).toBe(1_000);
    });

    it('tolerates a contender clock ahead by less than the tolerance: no overlap of validity', async () => {
      const holderClock = new ManualClock(5_000_000);
      const contenderClock = new ManualClock(5_000_000 + 999); // 999 ms ahead
      const holder = new MemoryLeaseStore({
        clock: holderClock,
        owner: 'h',
        clockSkewToleranceMs: 1_000,
      });
      const contender = new MemoryLeaseStore({
        clock: contenderClock,
        owner: 'c',
        items: holder.items,
      });
      const lease = await holder.acquire('skew', { durationMs: 10_000 });

      // Real time passes equally on both clocks until the contender can take over.
      holderClock.advance(10_002);
      contenderClock.advance(10_002);
      const takeover = await contender.acquire('skew', { durationMs: 10_000 });

      expect(takeover.token).toBe(lease.token + 1);
      expect(holder.isValid(lease)).toBe(false);
    });
  });

  describe('tokens', () => {
    it('starts a new lease item at acquire time x 1000 so tokens survive garbage collection', async () => {
      const clock = new ManualClock(1_700_000_000_000);
      const store = new MemoryLeaseStore({ clock });

      const first = await store.acquire('gc');
      store.items.delete('gc'); // what TTL does to an abandoned item
      clock.advance(1);
      const afterGc = await store.acquire('gc');

      expect(first.token).toBe(1_700_000_000_000_000 + 1);
      expect(afterGc.token).toBeGreaterThan(first.token);
    });

    it('gives exactly one of 50 concurrent contenders the lease', async () => {
      const store = new MemoryLeaseStore({ clock: new ManualClock(0) });

      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.tryAcquire('race', { owner: `c${i}` })),
      );

      expect(results.filter((r) => r.lease).length).toBe(1);
    });
  });

  describe('runExclusive', () => {
    it('runs the work under the lease and releases it afterwards', async () => {
      const store = new MemoryLeaseStore({ clock: new ManualClock(0) });
      let tokenSeen = 0;

      const result = await store.runExclusive('job', async ({ lease }) => {
        tokenSeen = lease().token;
        await expect(store.acquire('job', { owner: 'other' })).rejects.toBeInstanceOf(
          LeaseHeldError,
        );
        return 'done';
      });

      expect(result).toBe('done');
      expect((await store.acquire('job', { owner: 'other' })).token).toBe(tokenSeen + 1);
    });

    it('aborts the signal with LeaseLostError when a heartbeat finds the lease taken over', async () => {
      const clock = new ManualClock(0);
      const store = new MemoryLeaseStore({ clock, owner: 'slow' });
      const thief = new MemoryLeaseStore({ clock, owner: 'thief', items: store.items });

      const reason = await store.runExclusive(
        'stolen',
        async ({ signal }) => {
          clock.advance(1_001);
          await thief.acquire('stolen', { durationMs: 1_000 });
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          return signal.reason as unknown;
        },
        { durationMs: 1_000, renewEveryMs: 5 },
      );

      expect(reason).toBeInstanceOf(LeaseLostError);
      expect(reason).toMatchObject({ holder: 'thief' });
    });
  });

  describe('validation', () => {
    it.each([
      [{ defaultDurationMs: 0 }, /defaultDurationMs: must be a positive integer \(given 0\)/],
      [{ defaultDurationMs: 1.5 }, /given 1.5/],
      [{ gcGraceSeconds: -1 }, /gcGraceSeconds: must be a non-negative integer \(given -1\)/],
      [{ owner: '' }, /owner: must not be empty/],
    ])('rejects %o', (options, message) => {
      expect(() => new MemoryLeaseStore(options)).toThrow(message);
    });

    it('rejects a skew tolerance not below the duration', async () => {
      const store = new MemoryLeaseStore({ clockSkewToleranceMs: 1_000 });
      await expect(store.acquire('x', { durationMs: 1_000 })).rejects.toThrow(
        /clockSkewToleranceMs: must be smaller than the lease duration 1000 ms \(given 1000\)/,
      );
    });

    it('rejects reserved or malformed state attributes', async () => {
      const store = new MemoryLeaseStore();
      const lease = await store.acquire('x');
      await expect(store.writeState(lease, { token: 1 })).rejects.toBeInstanceOf(
        CoordinationConfigError,
      );
      await expect(store.raiseState('x', 'bad-name', 1)).rejects.toThrow(/given bad-name/);
    });
  });
});
