import { PublisherConfigError } from './errors.ts';

/**
 * FNV-1a, 32 bits, over the UTF-8 bytes of a string. Stable across processes, platforms and
 * releases (unlike a language's built-in hash), cheap, and well spread for short keys. Written
 * here because lane assignment must never change under a dependency upgrade.
 */
export function fnv1a32(value: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(value)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The lane of a partition key: a stable hash modulo the lane count. All events of one key share
 * a lane, so they share one SQS message group. Changing `lanes` re-maps most keys: drain the
 * queues before deploying a new count.
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
  return fnv1a32(partitionKey) % lanes;
}

/** The SQS message group id that carries a lane (the Ingress construct's rules use the same). */
export function laneGroupId(lane: number): string {
  return `lane-${lane}`;
}
