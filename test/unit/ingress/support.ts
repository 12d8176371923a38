import type { Destination, EntryOutcome, OutgoingEvent } from '#shared/ingress/destinations.ts';
import { PUBLISH_MODE, type Router } from '#shared/ingress/router.ts';

/**
 * An in-memory destination: records every batch call and answers with scripted outcomes, so the
 * publisher's batching, ordering and retry logic can be tested without AWS.
 */
export class RecordingDestination implements Destination {
  readonly name: string;
  readonly calls: OutgoingEvent[][] = [];
  /** Events in the order the destination accepted them. */
  readonly delivered: OutgoingEvent[] = [];
  /** Returns the outcome of one entry on one call (1-based attempt of that event). */
  answer: (event: OutgoingEvent, attempt: number) => EntryOutcome = () => ({ ok: true });
  readonly #attempts = new Map<string, number>();

  constructor(name = 'memory://queue') {
    this.name = name;
  }

  entryBytes(event: OutgoingEvent): number {
    return Buffer.byteLength(JSON.stringify(event.envelope));
  }

  async sendBatch(events: readonly OutgoingEvent[]): Promise<EntryOutcome[]> {
    this.calls.push([...events]);
    await new Promise((resolve) => setImmediate(resolve));
    return events.map((event) => {
      const attempt = (this.#attempts.get(event.envelope.id) ?? 0) + 1;
      this.#attempts.set(event.envelope.id, attempt);
      const outcome = this.answer(event, attempt);
      if (outcome.ok) this.delivered.push(event);
      return outcome;
    });
  }
}

/** A router sending every event to the given destinations (direct) or stamping lanes. */
export function routerTo(destinations: Destination[], lanes?: number): Router {
  return {
    mode: lanes === undefined ? PUBLISH_MODE.DIRECT : PUBLISH_MODE.EVENTBRIDGE,
    lanes,
    destinationsFor: () => destinations,
  };
}
