/**
 * Key design of the coordination table: one table, partition key `pk` (string) only, no sort
 * key, so every lease, semaphore slot, schedule and idempotency record is its own partition key
 * and no access pattern needs a query or scan. Items are told apart by a prefix:
 *
 * | item                    | pk                                   |
 * |-------------------------|--------------------------------------|
 * | lease                   | `lease#<name>`                       |
 * | semaphore slot          | `lease#sem#<semaphore>#<slot>`       |
 * | per-key policy slot     | `lease#key#<policy>#<key>#<slot>`    |
 * | schedule (+ its state)  | `lease#sched#<name>#p<partition>`    |
 * | idempotency (ours)      | `idem#<prefix>#<key>`                |
 * | idempotency (Powertools)| `idem#<prefix>#<md5 of key>`         |
 * | fence of a resource     | `fence#<resource>`                   |
 *
 * `ttl` (epoch seconds) is the table's TTL attribute and only collects garbage: no decision
 * ever depends on whether an item was deleted yet.
 */
export const CoordinationKeys = {
  partitionKey: 'pk',
  ttlAttribute: 'ttl',
  lease: (name: string) => `lease#${name}`,
  idempotency: (prefix: string, key: string) => `idem#${prefix}#${key}`,
  fence: (resource: string) => `fence#${resource}`,
} as const;

/** Attribute names on lease items. */
export const LeaseAttributes = {
  holder: 'holder',
  token: 'token',
  expiresAtMs: 'expiresAtMs',
  acquiredAtMs: 'acquiredAtMs',
  ttl: CoordinationKeys.ttlAttribute,
} as const;
