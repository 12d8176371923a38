import { describe, expect, it } from 'vitest';
import { ManualClock } from '#shared/coordination/clock.ts';
import { KeyBusyError, SemaphoreFullError } from '#shared/coordination/errors.ts';
import { KeyConcurrency, KeyPolicies, planQueueRetry } from '#shared/coordination/key-policy.ts';
import { Semaphore } from '#shared/coordination/semaphore.ts';
import { MemoryLeaseStore } from '#test/unit/coordination/support/memory-lease-store.ts';

function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('KeyConcurrency', () => {
  const store = () =>
    new MemoryLeaseStore({ clock: new ManualClock(1_000_000), defaultDurationMs: 20_000 });

  it('skip: acknowledges without running while a run for the key is active', async () => {
    const keys = new KeyConcurrency({ store: store(), job: 'j', policy: KeyPolicies.skip() });
    const gate = deferred();
    const first = keys.run('k', () => gate.promise.then(() => 'first'));
    await Promise.resolve();

    const second = await keys.run('k', async () => 'second');
    const other = await keys.run('other-key', async () => 'other');
    gate.resolve();

    expect(second).toEqual({ status: 'skipped', key: 'k' });
    expect(other).toMatchObject({ status: 'completed', result: 'other' });
    expect(await first).toMatchObject({ status: 'completed', result: 'first' });
    expect(await keys.run('k', async () => 'third')).toMatchObject({ status: 'completed' });
  });

  it('queue: throws KeyBusyError with a retry delay no longer than the holder lease', async () => {
    const keys = new KeyConcurrency({
      store: store(),
      job: 'j',
      policy: KeyPolicies.queue(),
      retryBaseSeconds: 60,
    });
    const gate = deferred();
    const first = keys.run('k', () => gate.promise);
    await Promise.resolve();

    const busy = keys.run('k', async () => 'never', 5);

    await expect(busy).rejects.toBeInstanceOf(KeyBusyError);
    await expect(busy).rejects.toMatchObject({ key: 'k', retryAfterSeconds: 20 });
    gate.resolve();
    await first;
  });

  it('limit(k): runs at most k at once and queues the rest', async () => {
    const keys = new KeyConcurrency({ store: store(), job: 'j', policy: KeyPolicies.limit(2) });
    const gate = deferred();
    const held = [keys.run('k', () => gate.promise), keys.run('k', () => gate.promise)];
    await new Promise((r) => setTimeout(r, 0));

    await expect(keys.run('k', async () => 1)).rejects.toBeInstanceOf(KeyBusyError);
    gate.resolve();
    await Promise.all(held);
    expect(await keys.run('k', async () => 1)).toMatchObject({ status: 'completed', result: 1 });
  });

  it('rejects a limit below 1', () => {
    expect(
      () => new KeyConcurrency({ store: store(), job: 'j', policy: KeyPolicies.limit(0) }),
    ).toThrow(/policy.max: must be a positive integer \(given 0\)/);
  });
});

describe('Semaphore', () => {
  it('reports every slot holder when full and frees a slot when its holder stops renewing', async () => {
    const clock = new ManualClock(0);
    const leases = new MemoryLeaseStore({ clock, defaultDurationMs: 1_000 });
    const sem = new Semaphore(leases, { limit: 2 });
    await sem.acquire('s', { owner: 'crashed' });
    await sem.acquire('s', { owner: 'alive' });

    const full = sem.acquire('s');
    await expect(full).rejects.toBeInstanceOf(SemaphoreFullError);
    await expect(full).rejects.toMatchObject({ limit: 2, holders: [{}, {}] });
    clock.advance(1_001);
    const reclaimed = await sem.acquire('s', { owner: 'new' });

    expect(reclaimed.slot === 0 || reclaimed.slot === 1).toBe(true);
  });
});

describe('planQueueRetry', () => {
  it('doubles the delay per attempt with jitter between half and all of it', () => {
    const low = (attempt: number) => planQueueRetry({ attempt, random: () => 0 }).delaySeconds;
    const high = (attempt: number) => planQueueRetry({ attempt, random: () => 1 }).delaySeconds;
    expect([1, 2, 3, 4].map(high)).toEqual([2, 4, 8, 16]);
    expect([1, 2, 3, 4].map(low)).toEqual([1, 2, 4, 8]);
  });

  it('caps the delay at maxSeconds', () => {
    expect(planQueueRetry({ attempt: 30, maxSeconds: 300, random: () => 1 })).toEqual({
      action: 'delay',
      delaySeconds: 300,
    });
  });

  it('switches to requeue before the receive count reaches maxReceiveCount', () => {
    expect(planQueueRetry({ attempt: 3, maxReceiveCount: 5, random: () => 1 }).action).toBe(
      'delay',
    );
    expect(planQueueRetry({ attempt: 4, maxReceiveCount: 5, random: () => 1 })).toEqual({
      action: 'requeue',
      delaySeconds: 16,
    });
    expect(
      planQueueRetry({ attempt: 20, maxReceiveCount: 5, maxSeconds: 3_600, random: () => 1 }),
    ).toEqual({
      action: 'requeue',
      delaySeconds: 900,
    });
  });

  it('rejects attempt 0', () => {
    expect(() => planQueueRetry({ attempt: 0 })).toThrow(
      /attempt: must be a positive integer \(given 0\)/,
    );
  });
});
