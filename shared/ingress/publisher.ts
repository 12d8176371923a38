import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EventCatalogue } from '../events/catalogue.ts';
import { toFieldIssues } from '../events/catalogue.ts';
import { type Envelope, EnvelopeSchema } from '../events/envelope.ts';
import { InvalidEventError } from '../events/errors.ts';
import { DEFAULT_MAX_BATCH_BYTES, type Destination, type OutgoingEvent } from './destinations.ts';
import { DuplicateEventIdError, EventTooLargeError, PublisherConfigError } from './errors.ts';
import { laneOf } from './lanes.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, sleep } from './retry.ts';
import type { Router } from './router.ts';
import { type Delivery, sendOrdered } from './sender.ts';

/** What a caller publishes: the publisher fills id, time, source, partition key, sequence, lane. */
export interface PublishInput {
  readonly type: string;
  readonly data: unknown;
  /** @default - a random UUID */
  readonly id?: string;
  /** @default - now */
  readonly time?: string;
  /** @default - the publisher's `source` */
  readonly source?: string;
  /**
   * The request this event belongs to, logged as `correlation_id` by every worker and workflow
   * step that handles it (pass it on to events and workflows you start from it).
   * @default - none: consumers correlate by the event id
   */
  readonly correlationId?: string;
}

const PublishInputSchema = z.object({
  type: z.string(),
  data: z.unknown(),
  id: z.string().optional(),
  time: z.string().optional(),
  source: z.string().optional(),
  correlationId: z.string().optional(),
});

export const PUBLISH_STATUS = { SENT: 'sent', REJECTED: 'rejected', FAILED: 'failed' } as const;
export type PublishStatus = (typeof PUBLISH_STATUS)[keyof typeof PUBLISH_STATUS];

/** The fate of one input event. */
export interface PublishResult {
  readonly index: number;
  readonly status: PublishStatus;
  /** The sent envelope (absent when rejected before it could be built). */
  readonly envelope?: Envelope;
  /** Most attempts any of its deliveries took (0 when rejected). */
  readonly attempts: number;
  /** Why it was rejected (InvalidEventError, DuplicateEventIdError, EventTooLargeError, NoRouteError...) or failed (DeliveryError). */
  readonly error?: Error;
}

export interface PublishSummary {
  readonly results: PublishResult[];
  readonly sent: number;
  readonly rejected: number;
  readonly failed: number;
}

export interface PublisherOptions {
  readonly catalogue: EventCatalogue;
  readonly router: Router;
  /** @default 'lanes.publisher' */
  readonly source?: string;
  /** Batches in flight per destination. @default 4 */
  readonly concurrency?: number;
  /** Limit of one entry and of one batch call, in bytes. @default 262144 */
  readonly maxBatchBytes?: number;
  /** @default DEFAULT_RETRY_POLICY (5 attempts, 50 ms base, 2 s cap) */
  readonly retry?: Partial<RetryPolicy>;
  /** @default - setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default - () => new Date() */
  readonly now?: () => Date;
  /** @default - crypto.randomUUID */
  readonly newId?: () => string;
  /**
   * Stamped on every event as `producer`: the scope of the per-key sequences this instance
   * numbers. @default - a random UUID per Publisher instance
   */
  readonly producerId?: string;
}

/**
 * Publishes lanes events: validates each against the catalogue (a bad event is rejected with an
 * error naming it and the field, the valid ones are still sent; so is an event whose id an
 * earlier event of the same call already uses: {@link DuplicateEventIdError}), derives its
 * partition key (any Unicode string up to 512 UTF-8 bytes, see `partition-key.ts`), stamps
 * a per-key sequence (per publisher instance) and, over EventBridge, its lane; sends in batches of
 * up to 10 within the size limit, keeps per-key order, retries only failed entries with backoff,
 * and returns a result per event.
 *
 * @example
 * const publisher = new Publisher({
 *   catalogue: ordersCatalogue,
 *   router: routerFromOutputs(outputs, 'direct'),
 * });
 * const { sent, results } = await publisher.publish([
 *   { type: 'orders.created', data: { orderId: 'o-1', customerId: 'c-7', amountCents: 1200, currency: 'EUR' } },
 * ]);
 */
export class Publisher {
  readonly #options: PublisherOptions;
  readonly #retry: RetryPolicy;
  readonly #sequences = new Map<string, number>();
  /** Scope of this instance's per-key sequences (the envelope's `producer`). */
  readonly producerId: string;

  constructor(options: PublisherOptions) {
    this.#options = options;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.producerId = options.producerId ?? randomUUID();
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new PublisherConfigError(
        `concurrency must be a positive integer (given ${concurrency}).`,
      );
    }
    if (!Number.isInteger(this.#retry.maxAttempts) || this.#retry.maxAttempts < 1) {
      throw new PublisherConfigError(
        `retry.maxAttempts must be a positive integer (given ${this.#retry.maxAttempts}).`,
      );
    }
  }

  /** Validates and builds the envelope of one input; throws an error naming the event. */
  #prepare(input: unknown, index: number): Envelope {
    const shape = PublishInputSchema.safeParse(input);
    if (!shape.success) {
      throw new InvalidEventError(`#${index}`, toFieldIssues(shape.error), { cause: shape.error });
    }
    const { type, data, id, time, source, correlationId } = shape.data;
    const eventId = id ?? this.#options.newId?.() ?? randomUUID();
    const ref = `#${index} (id ${eventId}, type ${type})`;
    const parsed = this.#options.catalogue.parse(type, data, ref);
    const candidate = {
      id: eventId,
      type,
      source: source ?? this.#options.source ?? 'lanes.publisher',
      time: time ?? (this.#options.now?.() ?? new Date()).toISOString(),
      partitionKey: parsed.partitionKey,
      sequence: 0,
      producer: this.producerId,
      ...(correlationId !== undefined ? { correlationId } : {}),
      data: parsed.data,
    };
    const envelope = EnvelopeSchema.safeParse(candidate);
    if (!envelope.success) {
      throw new InvalidEventError(ref, toFieldIssues(envelope.error), { cause: envelope.error });
    }
    return { ...envelope.data, data: parsed.data };
  }

  /**
   * Publishes the events and resolves when each one is sent, rejected or has failed for good.
   * Never throws for a bad or undeliverable event: look at each result.
   */
  async publish(inputs: readonly PublishInput[]): Promise<PublishSummary> {
    const { router } = this.#options;
    const maxBytes = this.#options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    const results: PublishResult[] = new Array(inputs.length);
    const perDestination = new Map<Destination, { delivery: Delivery; index: number }[]>();
    /** Ids of the events accepted so far in this call, with their index. */
    const acceptedIds = new Map<string, number>();

    inputs.forEach((input, index) => {
      try {
        const prepared = this.#prepare(input, index);
        const ref = `#${index} (id ${prepared.id}, type ${prepared.type})`;
        const firstIndex = acceptedIds.get(prepared.id);
        if (firstIndex !== undefined) throw new DuplicateEventIdError(ref, prepared.id, firstIndex);
        const destinations = router.destinationsFor(prepared, ref);
        const sequence = (this.#sequences.get(prepared.partitionKey) ?? 0) + 1;
        const envelope: Envelope = {
          ...prepared,
          sequence,
          ...(router.lanes !== undefined
            ? { lane: laneOf(prepared.partitionKey, router.lanes) }
            : {}),
        };
        const event: OutgoingEvent = { ref, envelope };
        const sized = destinations.map((destination) => ({
          destination,
          bytes: destination.entryBytes(event),
        }));
        const tooLarge = sized.find((entry) => entry.bytes > maxBytes);
        if (tooLarge) throw new EventTooLargeError(ref, tooLarge.bytes, maxBytes);
        this.#sequences.set(prepared.partitionKey, sequence);
        acceptedIds.set(prepared.id, index);
        results[index] = { index, status: PUBLISH_STATUS.SENT, envelope, attempts: 0 };
        for (const { destination, bytes } of sized) {
          const list = perDestination.get(destination) ?? [];
          list.push({ delivery: { event, key: envelope.partitionKey, bytes }, index });
          perDestination.set(destination, list);
        }
      } catch (error) {
        results[index] = {
          index,
          status: PUBLISH_STATUS.REJECTED,
          attempts: 0,
          error: error as Error,
        };
      }
    });

    await Promise.all(
      [...perDestination].map(async ([destination, items]) => {
        const settled = await sendOrdered(
          destination,
          items.map((item) => item.delivery),
          {
            concurrency: this.#options.concurrency ?? 4,
            maxBatchBytes: maxBytes,
            retry: this.#retry,
            sleep: this.#options.sleep ?? sleep,
          },
        );
        settled.forEach((outcome, position) => {
          const index = (items[position] as { index: number }).index;
          const current = results[index] as PublishResult;
          results[index] = {
            ...current,
            attempts: Math.max(current.attempts, outcome.attempts),
            ...(outcome.ok
              ? {}
              : { status: PUBLISH_STATUS.FAILED, error: current.error ?? outcome.error }),
          };
        });
      }),
    );

    return {
      results,
      sent: results.filter((r) => r.status === PUBLISH_STATUS.SENT).length,
      rejected: results.filter((r) => r.status === PUBLISH_STATUS.REJECTED).length,
      failed: results.filter((r) => r.status === PUBLISH_STATUS.FAILED).length,
    };
  }
}
