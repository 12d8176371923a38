import { describe, expect, it } from 'vitest';
import { PARTITION_KEY_MAX_BYTES, partitionKeyProblem } from '#shared/events/partition-key.ts';
import { MESSAGE_GROUP_ID_MAX_CHARS, messageGroupIdFor } from '#shared/ingress/group-id.ts';

/** What SQS accepts as MessageGroupId (AWS API reference; LocalStack checks the same). */
const VALID_GROUP_ID = /^[\x21-\x7E]{1,128}$/;

describe('partition keys', () => {
  describe('partitionKeyProblem', () => {
    it('accepts any well-formed Unicode key up to 512 UTF-8 bytes', () => {
      for (const key of [
        'customer-42',
        'tenant-日本',
        'ACME Corp',
        'ops@example.com',
        'emoji-🚀',
        'tab\tand\nnewline',
        'é'.repeat(PARTITION_KEY_MAX_BYTES / 2),
        'x'.repeat(PARTITION_KEY_MAX_BYTES),
      ]) {
        expect(partitionKeyProblem(key), JSON.stringify(key)).toBeUndefined();
      }
    });

    it('refuses an empty key, saying so', () => {
      expect(partitionKeyProblem('')).toMatch(/^is empty; /);
    });

    it('refuses a key above 512 UTF-8 bytes with its size and the limit', () => {
      expect(partitionKeyProblem('x'.repeat(513))).toMatch(
        /^is 513 bytes in UTF-8, above the 512-byte limit \(it starts "xxxx/,
      );
      // 171 three-byte characters are 513 bytes although only 171 characters long.
      expect(partitionKeyProblem('日'.repeat(171))).toMatch(/^is 513 bytes in UTF-8/);
    });

    it('refuses a lone surrogate, which has no UTF-8 form', () => {
      expect(partitionKeyProblem('bad-\uD83D')).toMatch(
        /not well-formed Unicode \(lone surrogate U\+D83D at index 4\)/,
      );
    });
  });

  describe('messageGroupIdFor', () => {
    it('keeps a key that is already a valid group id as it is', () => {
      for (const key of ['customer-42', 'Acme:EU/1', 'a', '~x', 'x'.repeat(128)]) {
        expect(messageGroupIdFor(key)).toBe(key);
      }
    });

    it('percent-encodes what SQS refuses, keeping the rest readable and case intact', () => {
      expect(messageGroupIdFor('tenant-日本')).toBe('tenant-%E6%97%A5%E6%9C%AC');
      expect(messageGroupIdFor('ACME Corp')).toBe('ACME%20Corp');
      expect(messageGroupIdFor('acme corp')).toBe('acme%20corp');
      expect(messageGroupIdFor('100%')).toBe('100%25');
      expect(messageGroupIdFor('emoji-🚀')).toBe('emoji-%F0%9F%9A%80');
    });

    it('hashes a key whose escaped form is too long, behind a readable prefix', () => {
      const key = `${'tenant-日本-'.repeat(30)}end`;
      const id = messageGroupIdFor(key);
      expect(id).toMatch(/^tenant-%E6%97%A5%E6%9C%AC-tenant-.*%~[A-Za-z0-9_-]{43}$/);
      expect(id.length).toBeLessThanOrEqual(MESSAGE_GROUP_ID_MAX_CHARS);
      // The prefix never ends inside an escape sequence.
      expect(id.split('%~')[0]).not.toMatch(/%[0-9A-F]?$/);
    });

    it('always gives a valid SQS group id, deterministically', () => {
      const keys = [
        '',
        ' ',
        'x'.repeat(512),
        'é'.repeat(256),
        '%'.repeat(200),
        `${'a'.repeat(79)}%`,
        `${'a'.repeat(127)} `,
        '\u0000\u007F\u0080',
      ];
      for (const key of keys.filter((k) => k.length > 0)) {
        const id = messageGroupIdFor(key);
        expect(id, JSON.stringify(key)).toMatch(VALID_GROUP_ID);
        expect(messageGroupIdFor(key)).toBe(id);
      }
    });

    it('never gives two different keys the same group id', () => {
      const keys = new Set<string>();
      const alphabet = ['a', 'A', ' ', '%', '%2', '%20', '~', '日', '🚀', '-', '%~'];
      // Every string of up to 3 symbols from an alphabet chosen to provoke escape collisions.
      const grow = (prefix: string, depth: number) => {
        if (prefix.length > 0) keys.add(prefix);
        if (depth === 0) return;
        for (const symbol of alphabet) grow(prefix + symbol, depth - 1);
      };
      grow('', 3);
      // Long keys that share their first 80 escaped characters.
      for (let i = 0; i < 200; i++) keys.add(`${'日'.repeat(40)}-${i}`);
      for (let i = 0; i < 200; i++) keys.add(`${'k'.repeat(130)}${i}`);
      const ids = new Map<string, string>();
      for (const key of keys) {
        const id = messageGroupIdFor(key);
        expect(ids.get(id), `${JSON.stringify(key)} and ${JSON.stringify(ids.get(id))}`).toBe(
          undefined,
        );
        ids.set(id, key);
      }
      expect(ids.size).toBe(keys.size);
    });
  });
});
