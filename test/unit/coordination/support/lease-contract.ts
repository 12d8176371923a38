import { describe, expect, it } from 'vitest';
import { ManualClock } from '#shared/coordination/clock.ts';
import { LeaseHeldError, LeaseLostError } from '#shared/coordination/errors.ts';
import type { LeaseStore, LeaseStoreOptions } from '#shared/coordination/lease.ts';

/** Builds a store for one test; every call must give a fresh namespace or a fresh lease name. */
export type StoreFactory = (options: LeaseStoreOptions & { clock: ManualClock }) => LeaseStore;

const DURATION_MS = 10_000;

/**
 * Lease behaviour every store must show, driven by a manual clock so the expiry edges are exact.
 * Runs in the unit project (memory model) and the integration project (DynamoDB on LocalStack).
 */
export function leaseContract(label: string, makeStore: StoreFactory, uniqueName: () => string) {
  describe(`Lease contract (${label})`, () => {
    const setup = () => {
      const clock = new ManualClock(1_700_000_000_000);
      /** Sleeps of b's acquireWhenFree: they move the manual clock; `during` runs in between. */
      const sleeps: number[] = [];
      let during: (() => Promise<void>) | undefined;
      const sleep = async (ms: number) => {
        sleeps.push(ms);
        clock.advance(ms);
        const hook = during;
        during = undefined;
        await hook?.();
      };
      const a = makeStore({ clock, owner: 'a', defaultDurationMs: DURATION_MS });
      const b = makeStore({ clock, owner: 'b', defaultDurationMs: DURATION_MS, sleep });
      const onNextSleep = (hook: () => Promise<void>) => {
        during = hook;
      };
      return { clock, a, b, name: uniqueName(), sleeps, onNextSleep };
    };

    describe('acquire', () => {
      it('grants a free lease with a token and reports the holder to a contender', async () => {
        const { a, b, name, clock } = setup();

        const lease = await a.acquire(name);
        const failed = b.acquire(name);

        await expect(failed).rejects.toBeInstanceOf(LeaseHeldError);
        await expect(failed).rejects.toMatchObject({
          holder: 'a',
          token: lease.token,
          expiresAtMs: clock.nowMs() + DURATION_MS,
        });
        expect(lease.token).toBeGreaterThan(0);
      });

      it('is still held at exactly expiresAtMs and free one millisecond later', async () => {
        const { a, b, name, clock } = setup();
        const first = await a.acquire(name);

        clock.set(first.expiresAtMs);
        await expect(b.acquire(name)).rejects.toBeInstanceOf(LeaseHeldError);
        clock.set(first.expiresAtMs + 1);
        const second = await b.acquire(name);

        expect(second.owner).toBe('b');
        expect(second.token).toBe(first.token + 1);
      });

      it('does not let the same owner acquire twice while held', async () => {
        const { a, name } = setup();
        await a.acquire(name);
        await expect(a.acquire(name)).rejects.toMatchObject({
          name: 'LeaseHeldError',
          holder: 'a',
        });
      });
    });

    describe('acquireWhenFree', () => {
      it("sleeps until 1 ms after the holder's expiry and takes over on that attempt", async () => {
        const { a, b, name, sleeps, clock } = setup();
        const held = await a.acquire(name);

        const lease = await b.acquireWhenFree(name, { maxPollMs: 60_000 });

        expect(sleeps).toEqual([DURATION_MS + 1]);
        expect(clock.nowMs()).toBe(held.expiresAtMs + 1);
        expect(lease.owner).toBe('b');
        expect(lease.token).toBe(held.token + 1);
        await expect(a.renew(held)).rejects.toBeInstanceOf(LeaseLostError);
      });

      it('wakes at least every maxPollMs, so a release before expiry is noticed', async () => {
        const { a, b, name, sleeps, onNextSleep } = setup();
        const held = await a.acquire(name);
        onNextSleep(async () => {
          await a.release(held);
        });

        const lease = await b.acquireWhenFree(name, { maxPollMs: 500 });

        expect(sleeps).toEqual([500]);
        expect(lease.token).toBe(held.token + 1);
      });

      it("follows a renewing holder's new expiry instead of taking over", async () => {
        const { a, b, name, sleeps, onNextSleep } = setup();
        const held = await a.acquire(name);
        onNextSleep(async () => {
          await a.renew(held); // renewed at +10.001 s: now expires at +20.001 s
        });

        const lease = await b.acquireWhenFree(name, { maxPollMs: 60_000 });

        expect(sleeps).toEqual([DURATION_MS + 1, DURATION_MS + 1]);
        expect(lease.token).toBe(held.token + 1);
      });

      it('gives up after timeoutMs with LeaseHeldError naming the holder', async () => {
        const { a, b, name, sleeps } = setup();
        await a.acquire(name);

        const wait = b.acquireWhenFree(name, { timeoutMs: 3_000, maxPollMs: 1_000 });

        await expect(wait).rejects.toMatchObject({ name: 'LeaseHeldError', holder: 'a' });
        expect(sleeps).toEqual([1_000, 1_000, 1_000]);
      });
    });

    describe('renew', () => {
      it('extends the expiry from now', async () => {
        const { a, b, name, clock } = setup();
        const lease = await a.acquire(name);

        clock.advance(DURATION_MS - 1);
        const renewed = await a.renew(lease);
        clock.advance(DURATION_MS - 1);

        expect(renewed.token).toBe(lease.token);
        await expect(b.acquire(name)).rejects.toBeInstanceOf(LeaseHeldError);
      });

      it('still works after local expiry when nobody took over (token unchanged)', async () => {
        const { a, name, clock } = setup();
        const lease = await a.acquire(name);
        clock.advance(DURATION_MS * 3);

        const renewed = await a.renew(lease);

        expect(renewed.expiresAtMs).toBe(clock.nowMs() + DURATION_MS);
      });

      it('fails with LeaseLostError naming the new holder after a takeover', async () => {
        const { a, b, name, clock } = setup();
        const old = await a.acquire(name);
        clock.advance(DURATION_MS + 1);
        const taken = await b.acquire(name);

        const renew = a.renew(old);

        await expect(renew).rejects.toBeInstanceOf(LeaseLostError);
        await expect(renew).rejects.toMatchObject({
          heldToken: old.token,
          holder: 'b',
          token: taken.token,
        });
      });
    });

    describe('release', () => {
      it('frees the lease at once and keeps tokens increasing', async () => {
        const { a, b, name } = setup();
        const first = await a.acquire(name);

        expect(await a.release(first)).toBe(true);
        const second = await b.acquire(name);

        expect(second.token).toBe(first.token + 1);
        expect(await a.release(first)).toBe(false);
        await expect(a.renew(first)).rejects.toBeInstanceOf(LeaseLostError);
      });
    });

    describe('state', () => {
      it('writes state only while holding, and raiseState never lowers a value', async () => {
        const { a, b, name, clock } = setup();
        const old = await a.acquire(name);
        const withState = await a.writeState(old, { lastWindowMs: 5 });
        clock.advance(DURATION_MS + 1);
        const taken = await b.acquire(name);

        await expect(a.writeState(old, { lastWindowMs: 6 })).rejects.toBeInstanceOf(LeaseLostError);
        expect(await b.raiseState(name, 'overlapWindowMs', 10)).toBe(true);
        expect(await a.raiseState(name, 'overlapWindowMs', 9)).toBe(false);
        const read = await a.read(name);

        expect(withState.state).toMatchObject({ lastWindowMs: 5 });
        expect(taken.state).toMatchObject({ lastWindowMs: 5 });
        expect(read?.state).toEqual({ lastWindowMs: 5, overlapWindowMs: 10 });
      });

      it('lets a lease be acquired whose item was created by raiseState', async () => {
        const { a, name } = setup();
        await a.raiseState(name, 'overlapWindowMs', 1);
        const lease = await a.acquire(name);
        expect(lease.state).toEqual({ overlapWindowMs: 1 });
      });
    });
  });
}
