import type { SQSRecord } from 'aws-lambda';
import type { Envelope } from '../events/envelope.ts';
import type { DecodedRecord, Delivery } from './decode.ts';
import { WorkerConfigError } from './errors.ts';
import { groupsOf } from './fifo-groups.ts';
import type { RunCommitRequest } from './process-event.ts';

/** A record that follows another in its FIFO message group, decoded. */
export interface FollowingRecord {
  readonly record: SQSRecord;
  readonly event: Envelope;
  readonly delivery: Delivery;
}

/**
 * One invocation's bookkeeping for runs of a FIFO group's events committed together
 * (`RecordContext.following` and `commitRun`): which records of the batch follow a record in its
 * group, what they decode to (once per record), which records a run applied before their turn,
 * and which idempotency keys a failed run found applied before (a redelivered batch).
 *
 * Our own: Powertools' batch processors hand a handler one record at a time, with no view of the
 * records after it.
 *
 * @example
 * const runs = new GroupRuns(event.Records, (record) => decodeRecord(record, catalogue));
 * const following = runs.following(record); // the group's later records in this batch
 */
export class GroupRuns {
  /** Each record's message group, in the batch's order. */
  readonly #groups = new Map<string, readonly SQSRecord[]>();
  readonly #decodeRecord: (record: SQSRecord) => DecodedRecord;
  readonly #decoded = new Map<string, { value: DecodedRecord } | { error: unknown }>();
  readonly #appliedAhead = new Set<string>();
  readonly #duplicates = new Set<string>();

  public constructor(
    records: readonly SQSRecord[],
    decodeRecord: (record: SQSRecord) => DecodedRecord,
  ) {
    for (const group of groupsOf(records)) {
      for (const record of group) this.#groups.set(record.messageId, group);
    }
    this.#decodeRecord = decodeRecord;
  }

  /** The record decoded, once: a run decodes the records after its first before their turn. */
  public decode(record: SQSRecord): DecodedRecord {
    let outcome = this.#decoded.get(record.messageId);
    if (!outcome) {
      try {
        outcome = { value: this.#decodeRecord(record) };
      } catch (error) {
        outcome = { error };
      }
      this.#decoded.set(record.messageId, outcome);
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /**
   * The records after `record` in its message group, in the batch's order, up to the first one
   * that does not decode (it is dead-lettered at its turn; nothing after it may go first).
   * Empty for a record without a message group (not from a FIFO queue).
   */
  public following(record: SQSRecord): FollowingRecord[] {
    const group = this.#groups.get(record.messageId) ?? [];
    const index = group.findIndex((candidate) => candidate.messageId === record.messageId);
    const following: FollowingRecord[] = [];
    for (const next of group.slice(index + 1)) {
      if (this.#appliedAhead.has(next.messageId)) continue;
      let decoded: DecodedRecord;
      try {
        decoded = this.decode(next);
      } catch {
        break;
      }
      following.push({ record: next, event: decoded.envelope, delivery: decoded.delivery });
    }
    return following;
  }

  /** Notes records that a run applied with an earlier record of their group. */
  public markApplied(records: readonly SQSRecord[]): void {
    for (const record of records) this.#appliedAhead.add(record.messageId);
  }

  /** Whether a run applied this record before its turn (it is acknowledged without running). */
  public wasApplied(record: SQSRecord): boolean {
    return this.#appliedAhead.has(record.messageId);
  }

  /** Notes idempotency keys a failed run found applied before. */
  public markDuplicates(keys: readonly string[]): void {
    for (const key of keys) this.#duplicates.add(key);
  }

  /** The keys among `keys` that a failed run of this invocation found applied before. */
  public knownDuplicates(keys: readonly string[]): string[] {
    return keys.filter((key) => this.#duplicates.has(key));
  }
}

/**
 * The following records a run commit covers, checked: the requests name the record's own event
 * once (or leave `event` out) and events of `following` at most once each.
 */
export function runMembers(
  event: Envelope,
  requests: readonly RunCommitRequest[],
  following: readonly FollowingRecord[],
): FollowingRecord[] {
  const own = requests.filter((request) => (request.event ?? event).id === event.id).length;
  const members: FollowingRecord[] = [];
  const strangers: string[] = [];
  for (const request of requests) {
    const named = request.event;
    if (named === undefined || named.id === event.id) continue;
    const member = following.find((next) => next.event.id === named.id);
    if (member && !members.includes(member)) members.push(member);
    else strangers.push(named.id);
  }
  if (own !== 1 || strangers.length > 0) {
    throw new WorkerConfigError(
      `context.commitRun for event ${event.id} must commit that event once and events of context.following at most once each; ` +
        `got ${own} request(s) for the event${strangers.length > 0 ? ` and ${strangers.join(', ')}, which ${strangers.length === 1 ? 'is' : 'are'} not (or no longer) following it in its group in this batch` : ''}.`,
    );
  }
  return members;
}
