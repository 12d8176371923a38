import { describe, expect, it } from 'vitest';
import { ClaimCheck, InMemoryClaimCheckStore } from '#shared/workflows/claim-check.ts';
import { ClaimCheckIntegrityError, ClaimCheckNotFoundError } from '#shared/workflows/errors.ts';
import { jsonByteSize } from '#shared/workflows/payload.ts';

describe('ClaimCheck', () => {
  const big = { text: 'y'.repeat(2_000) };

  describe('offload', () => {
    it('keeps a value at or below the threshold inline', async () => {
      const store = new InMemoryClaimCheckStore();
      const claimCheck = new ClaimCheck({ store, thresholdBytes: 1_000 });

      expect(await claimCheck.offload({ a: 1 })).toEqual({ a: 1 });
      expect(store.items.size).toBe(0);
    });

    it('stores a larger value and returns a small content-addressed reference', async () => {
      const store = new InMemoryClaimCheckStore();
      const claimCheck = new ClaimCheck({ store, thresholdBytes: 1_000 });

      const ref = await claimCheck.offload(big);

      expect(ClaimCheck.isRef(ref)).toBe(true);
      expect(jsonByteSize(ref)).toBeLessThan(200);
      expect(ref).toMatchObject({ claimCheck: { bytes: jsonByteSize(big) } });
      expect(await claimCheck.offload({ ...big })).toEqual(ref);
      expect(store.items.size).toBe(1);
    });
  });

  describe('resolve', () => {
    it('returns the stored value for a reference and the value itself otherwise', async () => {
      const claimCheck = new ClaimCheck({
        store: new InMemoryClaimCheckStore(),
        thresholdBytes: 100,
      });
      const ref = await claimCheck.offload(big);

      expect(await claimCheck.resolve(ref)).toEqual(big);
      expect(await claimCheck.resolve([1, 2])).toEqual([1, 2]);
    });

    it('fails with ClaimCheckNotFoundError naming the key when the value is gone', async () => {
      const store = new InMemoryClaimCheckStore();
      const claimCheck = new ClaimCheck({ store, thresholdBytes: 100 });
      const ref = await claimCheck.store(big);
      store.items.clear();

      await expect(claimCheck.resolve(ref)).rejects.toThrow(ClaimCheckNotFoundError);
      await expect(claimCheck.resolve(ref)).rejects.toThrow(ref.claimCheck.key);
    });

    it('fails with ClaimCheckIntegrityError when the stored value was changed', async () => {
      const store = new InMemoryClaimCheckStore();
      const claimCheck = new ClaimCheck({ store, thresholdBytes: 100 });
      const ref = await claimCheck.store(big);
      store.items.set(ref.claimCheck.key, JSON.stringify({ text: 'tampered' }));

      await expect(claimCheck.resolve(ref)).rejects.toThrow(ClaimCheckIntegrityError);
    });
  });

  describe('options', () => {
    it.each([0, 1.5, 262_144])(
      'rejects thresholdBytes %s with the value in the message',
      (value) => {
        expect(
          () => new ClaimCheck({ store: new InMemoryClaimCheckStore(), thresholdBytes: value }),
        ).toThrow(`given ${value}`);
      },
    );

    it('rejects a ttlSeconds below a minute', () => {
      expect(() => new ClaimCheck({ store: new InMemoryClaimCheckStore(), ttlSeconds: 5 })).toThrow(
        /ttlSeconds.*given 5/,
      );
    });
  });
});
