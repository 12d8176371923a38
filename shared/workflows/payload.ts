/** Payload limits of Step Functions (AWS documentation; docs/aws-limits.md). */
export const PAYLOAD_LIMITS = {
  /** Largest state input or output, and largest execution input (256 KB). */
  STATE_BYTES: 262_144,
  /**
   * Default claim-check threshold: fields above it go to the store. Well below the limit, so a
   * state that carries a few references and step results never comes near 256 KB.
   */
  DEFAULT_THRESHOLD_BYTES: 16_384,
} as const;

/**
 * Size in bytes of a value as Step Functions counts it: its UTF-8 JSON encoding.
 *
 * @example
 * jsonByteSize({ note: 'héllo' }); // 16
 */
export function jsonByteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
