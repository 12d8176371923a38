import { createHash } from 'node:crypto';

/** SQS MessageGroupId: 1-128 characters, alphanumeric and punctuation (printable ASCII, no space). */
export const MESSAGE_GROUP_ID_MAX_CHARS = 128;
/** Characters kept as they are: printable ASCII without space, minus `%` (the escape character). */
const KEPT = /^[\x21-\x24\x26-\x7E]$/;
/**
 * Marks a hashed group id. Never produced by the escaping, where `%` is always followed by two
 * hex digits, so a hashed id cannot equal an escaped one.
 */
const HASH_MARK = '%~';
/** Readable part kept in front of a hashed id: 128 - 2 (mark) - 43 (SHA-256, base64url). */
const HASHED_PREFIX_CHARS = 80;

function escapeKey(key: string): string {
  let out = '';
  for (const char of key) {
    if (KEPT.test(char)) out += char;
    else {
      for (const byte of Buffer.from(char, 'utf8')) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  return out;
}

/**
 * The SQS message group id of a partition key (direct mode on FIFO queues). Deterministic, and
 * two different keys never share a group id (beyond SHA-256 collisions):
 * - a key that is already a valid group id without `%` is its own group id (`customer-42`);
 * - otherwise every character outside printable ASCII, space and `%` become percent-encoded UTF-8
 *   (`tenant-日本` -> `tenant-%E6%97%A5%E6%9C%AC`, `ACME Corp` -> `ACME%20Corp`), case kept;
 * - if that is longer than 128 characters: its first 80 characters, `%~`, and the SHA-256 of the
 *   key in base64url (45 + at most 80 characters).
 * Workers read the original key from the envelope, never from the group id.
 * Keep this stable: changing it moves keys to new groups, which breaks per-key order for the
 * messages in flight during the change.
 *
 * @example
 * messageGroupIdFor('tenant-日本'); // 'tenant-%E6%97%A5%E6%9C%AC'
 */
export function messageGroupIdFor(partitionKey: string): string {
  const escaped = escapeKey(partitionKey);
  if (escaped.length <= MESSAGE_GROUP_ID_MAX_CHARS) return escaped;
  let prefix = escaped.slice(0, HASHED_PREFIX_CHARS);
  // Do not cut an escape sequence in two.
  const lastEscape = prefix.lastIndexOf('%');
  if (lastEscape > prefix.length - 3) prefix = prefix.slice(0, lastEscape);
  const digest = createHash('sha256').update(partitionKey, 'utf8').digest('base64url');
  return `${prefix}${HASH_MARK}${digest}`;
}
