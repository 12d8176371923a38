import { LanesError } from '../errors.ts';

/** Base class of every error raised by the lanes event catalogue and its validation. */
export class EventError extends LanesError {
  override name = 'EventError';
}

/** One field that failed validation, with its dotted path inside the event. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * An event did not match its envelope or payload schema. The message names the event (its index in
 * the call and its id or type when known) and every failing field.
 */
export class InvalidEventError extends EventError {
  readonly eventRef: string;
  readonly issues: readonly FieldIssue[];

  constructor(eventRef: string, issues: readonly FieldIssue[], options?: ErrorOptions) {
    const detail = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
    super(`Invalid event ${eventRef}: ${detail}. Fix these fields and publish it again.`, options);
    this.name = 'InvalidEventError';
    this.eventRef = eventRef;
    this.issues = issues;
  }
}

/** No schema is registered for an event type. */
export class UnknownEventTypeError extends EventError {
  readonly eventType: string;

  constructor(eventRef: string, eventType: string, knownTypes: readonly string[]) {
    super(
      `Invalid event ${eventRef}: type ${JSON.stringify(eventType)} is not in the event catalogue (known types: ${knownTypes.join(', ') || 'none'}). Register it with defineEvent() or fix the type.`,
    );
    this.name = 'UnknownEventTypeError';
    this.eventType = eventType;
  }
}

/** A catalogue was given two definitions of one event type. */
export class DuplicateEventTypeError extends EventError {
  constructor(public readonly eventType: string) {
    super(
      `Event type ${eventType} is defined twice in the catalogue: keep one definition per type.`,
    );
    this.name = 'DuplicateEventTypeError';
  }
}
