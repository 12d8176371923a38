import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { groupsOf, processFifoGroups } from '#shared/worker/fifo-groups.ts';

/**
 * FIFO batches: message groups in parallel, a group's records in order, a failure stopping only
 * its group. Assertions on what ran, in which order, and how many at once; not on milliseconds.
 */

function record(group: string, n: number): SQSRecord {
  return {
    messageId: `${group}${n}`,
    receiptHandle: `r-${group}${n}`,
    body: '{}',
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: group,
      SequenceNumber: String(n),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:steps.fifo',
    awsRegion: 'us-east-1',
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('processFifoGroups', () => {
  it('groups a batch by message group, keeping each group in the batch order', () => {
    const batch = [record('a', 1), record('b', 1), record('a', 2), record('c', 1), record('b', 2)];
    expect(groupsOf(batch).map((group) => group.map((r) => r.messageId))).toEqual([
      ['a1', 'a2'],
      ['b1', 'b2'],
      ['c1'],
    ]);
  });

  it('runs the groups at once and the records of a group one after another, in order', async () => {
    const batch = [record('a', 1), record('b', 1), record('a', 2), record('c', 1), record('a', 3)];
    const order: string[] = [];
    const running = new Map<string, number>();
    let peak = 0;
    let peakWithinGroup = 0;
    const response = await processFifoGroups(batch, async (r) => {
      const group = r.attributes.MessageGroupId as string;
      running.set(group, (running.get(group) ?? 0) + 1);
      peak = Math.max(
        peak,
        [...running.values()].reduce((sum, n) => sum + n, 0),
      );
      peakWithinGroup = Math.max(peakWithinGroup, running.get(group) ?? 0);
      await tick();
      order.push(r.messageId);
      running.set(group, (running.get(group) ?? 1) - 1);
    });

    expect(response.batchItemFailures).toEqual([]);
    expect(peak).toBe(3);
    expect(peakWithinGroup).toBe(1);
    expect(order.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
  });

  it('fails the rest of a group after its failed record, unprocessed, and lets the other groups finish', async () => {
    const batch = [record('a', 1), record('b', 1), record('a', 2), record('b', 2), record('a', 3)];
    const ran: string[] = [];
    const response = await processFifoGroups(batch, async (r) => {
      ran.push(r.messageId);
      await tick();
      if (r.messageId === 'a2') throw new Error('a2 failed');
    });

    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a2', 'a3']);
    expect(ran).not.toContain('a3');
    expect(ran).toEqual(expect.arrayContaining(['a1', 'a2', 'b1', 'b2']));
  });

  it('throws FullBatchFailureError when every record failed, as Powertools does', async () => {
    const batch = [record('a', 1), record('a', 2), record('b', 1)];
    await expect(
      processFifoGroups(batch, async () => {
        throw new Error('down');
      }),
    ).rejects.toBeInstanceOf(FullBatchFailureError);
  });
});
