import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

/**
 * A FIFO batch's records by message group, each group in the batch's order (SQS hands a group's
 * messages out in sequence order).
 */
export function groupsOf(records: readonly SQSRecord[]): SQSRecord[][] {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    // A record without a group (not from a FIFO queue) is a group of its own.
    const id = record.attributes.MessageGroupId ?? `record:${record.messageId}`;
    const group = groups.get(id);
    if (group) group.push(record);
    else groups.set(id, [record]);
  }
  return [...groups.values()];
}

/**
 * Processes a FIFO batch with its message groups in parallel: the records of one group one after
 * another, in order, and a failure fails the rest of its group unprocessed (so the group's order
 * holds on redelivery), while the other groups go on. A batch whose every record failed throws
 * Powertools' FullBatchFailureError, as its processors do, so the invocation fails as a whole.
 *
 * Our own because Powertools' `SqsFifoPartialProcessorAsync` (with `skipGroupOnError`) keeps the
 * same per-group rules but runs the groups one after another: a batch of 10 single-message groups
 * (workflow steps keyed by execution, say) took 10 records' time.
 *
 * @example
 * const response = await processFifoGroups(event.Records, (record) => handleRecord(record));
 */
export async function processFifoGroups(
  records: readonly SQSRecord[],
  handle: (record: SQSRecord) => Promise<void>,
): Promise<SQSBatchResponse> {
  const failed = new Set<string>();
  const errors: Error[] = [];
  await Promise.all(
    groupsOf(records).map(async (group) => {
      for (const [index, record] of group.entries()) {
        try {
          await handle(record);
        } catch (error) {
          errors.push(error instanceof Error ? error : new Error(String(error)));
          for (const rest of group.slice(index)) failed.add(rest.messageId);
          return;
        }
      }
    }),
  );
  if (records.length > 0 && failed.size === records.length) throw new FullBatchFailureError(errors);
  return {
    // In the batch's order, as Powertools reports them.
    batchItemFailures: records
      .filter((record) => failed.has(record.messageId))
      .map((record) => ({ itemIdentifier: record.messageId })),
  };
}
