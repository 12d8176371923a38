import { LanesError } from '../errors.ts';

/** Base class of errors raised by the lanes publisher. */
export class PublishError extends LanesError {
  override name = 'PublishError';
}

/** A publisher, router or lane option is out of range; the message names it, the value and the fix. */
export class PublisherConfigError extends PublishError {
  override name = 'PublisherConfigError';
}

/** The serialized event is larger than the transport accepts. */
export class EventTooLargeError extends PublishError {
  readonly eventRef: string;
  readonly sizeBytes: number;
  readonly limitBytes: number;

  constructor(eventRef: string, sizeBytes: number, limitBytes: number) {
    super(
      `Event ${eventRef} is ${sizeBytes} bytes once serialized, above the ${limitBytes}-byte limit; store the large payload elsewhere (S3) and send a reference.`,
    );
    this.name = 'EventTooLargeError';
    this.eventRef = eventRef;
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** No component group subscribes to the event's type (direct mode). */
export class NoRouteError extends PublishError {
  readonly eventType: string;

  constructor(eventRef: string, eventType: string, prefixes: readonly string[]) {
    super(
      `Event ${eventRef} has type ${eventType}, which no component group subscribes to (prefixes: ${prefixes.join(', ') || 'none'}); add a group for it or fix the type.`,
    );
    this.name = 'NoRouteError';
    this.eventType = eventType;
  }
}

/** The transport refused the entry, or kept failing until the attempts ran out. */
export class DeliveryError extends PublishError {
  readonly eventRef: string;
  readonly destination: string;
  readonly code: string;
  readonly attempts: number;

  constructor(
    eventRef: string,
    destination: string,
    code: string,
    detail: string,
    attempts: number,
    options?: ErrorOptions,
  ) {
    super(
      `Event ${eventRef} was not delivered to ${destination} after ${attempts} attempt(s): ${code}: ${detail}`,
      options,
    );
    this.name = 'DeliveryError';
    this.eventRef = eventRef;
    this.destination = destination;
    this.code = code;
    this.attempts = attempts;
  }
}

/**
 * Two events of one publish call have the same id. The later one is refused (the earlier one is
 * published): on a FIFO queue SQS would silently drop it as a duplicate, and over EventBridge both
 * would be delivered and a deduplicating consumer would keep only one.
 */
export class DuplicateEventIdError extends PublishError {
  readonly eventRef: string;
  readonly eventId: string;
  /** Index, in the same call, of the event that was sent with this id. */
  readonly firstIndex: number;

  constructor(eventRef: string, eventId: string, firstIndex: number) {
    super(
      `Event ${eventRef}: field id ${JSON.stringify(eventId)} is already used by event #${firstIndex} of the same publish call, which goes out with it; this one is refused. Give every distinct event its own id; to retry #${firstIndex}, publish it again in a later call.`,
    );
    this.name = 'DuplicateEventIdError';
    this.eventRef = eventRef;
    this.eventId = eventId;
    this.firstIndex = firstIndex;
  }
}
