import { createHash } from 'node:crypto';
import { PublisherConfigError } from './errors.ts';

/**
 * Hash of a partition key for lane assignment: the first 48 bits of the SHA-256 of its UTF-8
 * bytes, as an integer. SHA-256 (Node's crypto, not a hash of our own) is stable across
 * processes, platforms and releases, and every output bit depends on every input bit, so
 * `hash % lanes` is even for any lane count. (The FNV-1a used before had a low-bit defect: with a
 * power-of-two lane count the lane depended only on the low bits of each byte, so `customer-1`
 * and `customer-9` always shared a lane.) 48 bits keep the arithmetic exact in a double and make
 * the modulo bias negligible (below 2^-41 for at most 100 lanes).
 *
 * @example
 * laneHash('customer-1'); // 0xe83f10dcd2c6, on every machine and release
 */
export function laneHash(partitionKey: string): number {
  return createHash('sha256').update(partitionKey, 'utf8').digest().readUIntBE(0, 6);
}

/**
 * The lane of a partition key: a stable hash modulo the lane count. All events of one key share
 * a lane, so they share one SQS message group. Changing `lanes`, or this hash, re-maps most
 * keys: drain the queues before deploying a new count (or a release that changes the hash).
 *
 * @example
 * laneOf('customer-42', 8); // always the same number in 0..7
 */
export function laneOf(partitionKey: string, lanes: number): number {
  if (!Number.isInteger(lanes) || lanes < 1) {
    throw new PublisherConfigError(
      `lanes must be a positive integer (given ${lanes}); use the deployed LaneCount.`,
    );
  }
  return laneHash(partitionKey) % lanes;
}

/**
 * The SQS message group id that carries a lane. The Ingress construct's rules deliver lane `n`
 * with this id and match `detail.lane` = `n`, which `laneOf` stamps: both sides use this module.
 */
export function laneGroupId(lane: number): string {
  return `lane-${lane}`;
}
