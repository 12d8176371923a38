/**
 * The partition key rule, in one place for the publisher, the envelope schema and the worker.
 *
 * A partition key is any well-formed Unicode string of 1 to {@link PARTITION_KEY_MAX_BYTES} bytes
 * once UTF-8 encoded: `tenant-日本`, `ACME Corp`, an e-mail address. Case is significant
 * (`Acme` and `acme` are two keys). The key travels unchanged in the envelope; the SQS message
 * group id is derived from it (`#shared/ingress/group-id.ts`) because SQS accepts only 1-128
 * printable ASCII characters there.
 */

/**
 * Longest partition key, in UTF-8 bytes. The key is used as it stands inside DynamoDB keys:
 * the per-key policy slots (`lease#key#<policy>#<key>#<slot>`, partition key limit 2,048 bytes)
 * and the reference workers' result items (`pk`), and the DynamoDB sort key limit is 1,024 bytes.
 * 512 bytes leaves room for the prefixes in either, and is well above real business identifiers
 * (tenant, account and customer ids, e-mail addresses: RFC 5321 caps those at 254).
 */
export const PARTITION_KEY_MAX_BYTES = 512;

/** A UTF-16 surrogate without its partner: such a string has no UTF-8 encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Size of a string in UTF-8 bytes. */
export function utf8ByteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * Checks a partition key against the rule above; returns why it is refused, or undefined.
 *
 * @example
 * partitionKeyProblem('tenant-日本'); // undefined
 * partitionKeyProblem('');            // 'is empty; ...'
 */
export function partitionKeyProblem(key: string): string | undefined {
  if (key.length === 0) {
    return 'is empty; derive it from a field that always has a value (tenant, account, customer id)';
  }
  const lone = LONE_SURROGATE.exec(key);
  if (lone) {
    return `is not well-formed Unicode (lone surrogate U+${lone[0].charCodeAt(0).toString(16).toUpperCase()} at index ${lone.index}), so it has no UTF-8 form; fix how the key is built`;
  }
  const bytes = utf8ByteLength(key);
  if (bytes > PARTITION_KEY_MAX_BYTES) {
    return `is ${bytes} bytes in UTF-8, above the ${PARTITION_KEY_MAX_BYTES}-byte limit (it starts ${JSON.stringify(key.slice(0, 40))}); use a shorter stable identifier`;
  }
  return undefined;
}
