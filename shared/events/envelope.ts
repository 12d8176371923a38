import { z } from 'zod';
import { partitionKeyProblem } from './partition-key.ts';

export { PARTITION_KEY_MAX_BYTES, partitionKeyProblem } from './partition-key.ts';

/** Event types are dotted lower-case names such as `orders.created`; routing matches prefixes. */
const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;

/**
 * The envelope every lanes event travels in, whatever the transport (SQS body in direct mode,
 * EventBridge `detail` in lanes mode).
 */
export const EnvelopeSchema = z.object({
  /** Unique event id; also the FIFO deduplication id in direct mode. */
  id: z.string().min(1).max(128),
  /** Dotted event type, e.g. `orders.created`. */
  type: z
    .string()
    .regex(EVENT_TYPE_PATTERN, 'must be a dotted lower-case name like orders.created'),
  /** Who produced the event, e.g. `lanes.demo`. */
  source: z.string().min(1).max(256),
  /** When the event happened (ISO 8601); end-to-end latency is measured from it. */
  time: z.iso.datetime({ offset: true }),
  /**
   * Stable key that owns ordering (customer, tenant, account...): any well-formed Unicode string
   * of 1 to 512 UTF-8 bytes, case-sensitive (see `partition-key.ts`). Always the original key,
   * also where the SQS message group id had to be derived from it.
   */
  partitionKey: z.string().superRefine((key, context) => {
    const problem = partitionKeyProblem(key);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }),
  /** Per-key sequence number stamped by the publisher (1, 2, 3... per key and producer). */
  sequence: z.number().int().nonnegative(),
  /**
   * Id of the publisher instance that numbered `sequence`: sequences are per (producer, key), so
   * a consumer can put events back in order (EventBridge delivers without order).
   */
  producer: z.string().min(1).max(64).optional(),
  /**
   * Id that ties together everything one request caused (the workers' and workflows' logs carry
   * it as `correlation_id`); set by the producer, passed on by whoever acts on the event.
   * @default - none: consumers use the event's `id`
   */
  correlationId: z.string().min(1).max(128).optional(),
  /** Lane the key hashes to when published over EventBridge; absent in direct mode. */
  lane: z.number().int().nonnegative().optional(),
  /** The type-specific payload, validated against the catalogue's schema for `type`. */
  data: z.unknown(),
});

/** A lanes event envelope with a typed payload. */
export type Envelope<TData = unknown> = Omit<z.infer<typeof EnvelopeSchema>, 'data'> & {
  data: TData;
};
