import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createWorkerHandler, type ProcessEvent } from '#functions/worker-handler.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import { KeyBusyError } from '#shared/coordination/errors.ts';
import type { KeyConcurrency } from '#shared/coordination/key-policy.ts';
import type { DeadLetterSink } from '#shared/worker/dead-letter.ts';
import { SqsDeadLetterSink } from '#shared/worker/dead-letter.ts';
import { decodeRecord } from '#shared/worker/decode.ts';
import { InvalidRecordError, NonRetryableError } from '#shared/worker/errors.ts';
import { envelope, FIFO_ARN, lambdaContext, record } from './support/records.ts';

class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: { record: SQSRecord; error: Error }[] = [];
  async send(r: SQSRecord, error: Error): Promise<void> {
    this.letters.push({ record: r, error });
  }
}

const context = lambdaContext;

function worker(processEvent: ProcessEvent, maxReceiveCount?: number) {
  const deadLetter = new MemoryDeadLetters();
  const handler = createWorkerHandler({
    catalogue: ordersCatalogue,
    processEvent,
    deadLetter,
    maxReceiveCount,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
  });
  return { handler: (event: SQSEvent) => handler(event, context), deadLetter };
}

describe('worker runtime', () => {
  it('gives each record a logger with its own keys, so records running at once keep their lines apart', async () => {
    const seen: Record<string, unknown>[] = [];
    const { handler } = worker(async (_event, { logger }) => {
      // Both records are in flight here: a shared logger would now carry the later one's keys.
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(logger.getPersistentLogAttributes());
    });
    await handler({ Records: [record(envelope('a', 1)), record(envelope('b', 1))] });

    expect(seen.map((keys) => keys.eventId).sort()).toEqual(['e-a-1', 'e-b-1']);
    expect(seen.map((keys) => keys.partitionKey).sort()).toEqual(['a', 'b']);
  });

  describe('FIFO batches', () => {
    it('run one record at a time by default, and the groups at once with parallelFifoGroups', async () => {
      const peakInFlight = async (parallelFifoGroups?: boolean) => {
        let inFlight = 0;
        let peak = 0;
        const handler = createWorkerHandler({
          catalogue: ordersCatalogue,
          logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
          metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
          ...(parallelFifoGroups ? { parallelFifoGroups } : {}),
          processEvent: async () => {
            inFlight++;
            peak = Math.max(peak, inFlight);
            await new Promise((resolve) => setTimeout(resolve, 5));
            inFlight--;
          },
        });
        const records = ['a', 'b', 'c'].flatMap((key) =>
          [1, 2].map((n) => record(envelope(key, n), key)),
        );
        const response = await handler({ Records: records }, context);
        expect(response.batchItemFailures).toEqual([]);
        return peak;
      };
      // The mapping's maxConcurrency then bounds the records in flight, not only the batches.
      expect(await peakInFlight()).toBe(1);
      expect(await peakInFlight(true)).toBe(3);
    });

    it('stops a message group at its first failure while other groups go on', async () => {
      const seen: string[] = [];
      const { handler } = worker(async (event) => {
        if (event.id === 'e-a-2') throw new Error('database busy');
        seen.push(event.id);
      });
      const records = [
        record(envelope('a', 1), 'a'),
        record(envelope('b', 1), 'b'),
        record(envelope('a', 2), 'a'),
        record(envelope('b', 2), 'b'),
        record(envelope('a', 3), 'a'),
        record(envelope('b', 3), 'b'),
      ];

      const response = await handler({ Records: records });

      expect(seen).toEqual(['e-a-1', 'e-b-1', 'e-b-2', 'e-b-3']);
      expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
        records[2]?.messageId,
        records[4]?.messageId,
      ]);
    });

    it('dead-letters a non-retryable failure with its reason and goes on with the group', async () => {
      const seen: string[] = [];
      const { handler, deadLetter } = worker(async (event) => {
        if (event.id === 'e-a-2') throw new NonRetryableError('customer a is on hold');
        seen.push(event.id);
      });
      const records = [1, 2, 3].map((n) => record(envelope('a', n), 'a'));

      const response = await handler({ Records: records });

      expect(response.batchItemFailures).toEqual([]);
      expect(seen).toEqual(['e-a-1', 'e-a-3']);
      expect(deadLetter.letters.map((l) => [l.record.messageId, l.error.message])).toEqual([
        [records[1]?.messageId, 'customer a is on hold'],
      ]);
    });

    it('dead-letters a retryable failure itself on the last allowed receive', async () => {
      const { handler, deadLetter } = worker(async () => {
        throw new Error('still broken');
      }, 5);
      const early = await handler({ Records: [record(envelope('a', 1), 'a', 4)] }).catch((e) => e);
      expect(early).toBeInstanceOf(Error);
      expect(deadLetter.letters).toHaveLength(0);

      const last = await handler({ Records: [record(envelope('a', 1), 'a', 5)] });
      expect(last.batchItemFailures).toEqual([]);
      expect(deadLetter.letters[0]?.error.message).toBe('still broken');
    });
  });

  describe('invalid records', () => {
    it('dead-letters a record that is not a valid event, naming the field', async () => {
      const seen: string[] = [];
      const { handler, deadLetter } = worker(async (event) => {
        seen.push(event.id);
      });
      const bad = record({ ...envelope('a', 1), data: { orderId: 'o1', customerId: 'a' } }, 'a');
      const response = await handler({
        Records: [bad, record(envelope('b', 1), 'b'), record('not json', 'c')],
      });

      expect(response.batchItemFailures).toEqual([]);
      expect(seen).toEqual(['e-b-1']);
      expect(deadLetter.letters.map((l) => l.error.name)).toEqual([
        'InvalidRecordError',
        'InvalidRecordError',
      ]);
      expect(deadLetter.letters[0]?.error.message).toMatch(
        new RegExp(`^Invalid record ${bad.messageId}: data\\.amountCents: .*data\\.currency: `),
      );
      expect(deadLetter.letters[1]?.error.message).toMatch(/body: is not JSON/);
    });
  });

  describe('standard queues', () => {
    it('processes every record and reports only the failed ones', async () => {
      const { handler } = worker(async (event) => {
        if (event.sequence === 2) throw new Error('boom');
      });
      const records = [1, 2, 3].map((n) => record(envelope('a', n)));
      const response = await handler({ Records: records });
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.messageId }]);
    });
  });

  describe('structured logs', () => {
    it("carry the event id, partition key and the producer's correlation id (else the event id) on each record's lines", async () => {
      const lines: string[] = [];
      const write = vi
        .spyOn(process.stdout, 'write')
        .mockImplementation((chunk: string | Uint8Array) => {
          lines.push(String(chunk));
          return true;
        });
      try {
        const handler = createWorkerHandler({
          catalogue: ordersCatalogue,
          processEvent: async (_, { logger }) => logger.info('handling'),
          deadLetter: new MemoryDeadLetters(),
          logger: new Logger({ serviceName: 'test', logLevel: 'INFO' }),
          metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
        });
        await handler(
          {
            Records: [
              record(envelope('a', 1, { correlationId: 'request-42' })),
              record(envelope('b', 2)),
            ],
          },
          context,
        );
      } finally {
        write.mockRestore();
      }
      const handling = lines
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.includes('"handling"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(handling.map((l) => [l.eventId, l.partitionKey, l.correlation_id])).toEqual([
        ['e-a-1', 'a', 'request-42'],
        ['e-b-2', 'b', 'e-b-2'],
      ]);
    });
  });
});

describe('decodeRecord', () => {
  it('reads the envelope from an EventBridge event body', () => {
    const detail = envelope('a', 1, { lane: 3 });
    const decoded = decodeRecord(
      record({ version: '0', 'detail-type': 'orders.created', source: 'test', detail }, 'lane-3'),
      ordersCatalogue,
    );
    expect(decoded.delivery).toBe('eventbridge');
    expect(decoded.envelope).toEqual(detail);
  });

  it('names detail.* fields for a bad EventBridge event', () => {
    const detail = { ...envelope('a', 1), time: 'yesterday' };
    expect(() =>
      decodeRecord(record({ 'detail-type': 'orders.created', detail }, 'lane-0'), ordersCatalogue),
    ).toThrow(/detail\.time: /);
  });

  it('rejects an envelope whose partition key does not match its payload', () => {
    const mismatched = envelope('a', 1, { partitionKey: 'b' });
    expect(() => decodeRecord(record(mismatched, 'b'), ordersCatalogue)).toThrow(
      InvalidRecordError,
    );
    expect(() => decodeRecord(record(mismatched, 'b'), ordersCatalogue)).toThrow(
      /partitionKey: is "b" but the payload derives "a"/,
    );
  });
});

describe('SqsDeadLetterSink', () => {
  it('keeps the body and group, and records the reason as attributes', () => {
    const sink = new SqsDeadLetterSink({
      queueUrl: 'https://sqs.local/1/dlq.fifo',
      functionName: 'orders',
      now: () => new Date('2026-01-02T03:04:05.000Z'),
    });
    const r = record(envelope('a', 1), 'a', 3);
    const input = sink.buildInput(r, new NonRetryableError('on hold'));
    expect(input).toMatchObject({
      QueueUrl: 'https://sqs.local/1/dlq.fifo',
      MessageBody: r.body,
      MessageGroupId: 'a',
      MessageDeduplicationId: `${r.messageId}-3-0`,
      MessageAttributes: {
        'lanes.errorName': { DataType: 'String', StringValue: 'NonRetryableError' },
        'lanes.errorMessage': { DataType: 'String', StringValue: 'on hold' },
        'lanes.failedAt': { DataType: 'String', StringValue: '2026-01-02T03:04:05.000Z' },
        'lanes.sourceQueueArn': { DataType: 'String', StringValue: FIFO_ARN },
        'lanes.receiveCount': { DataType: 'String', StringValue: '3' },
        'lanes.functionName': { DataType: 'String', StringValue: 'orders' },
      },
    });
  });
});

describe('busy keys', () => {
  /** A worker whose key `a` is held by another worker while key `b` is free. */
  function busyWorker(maxReceiveCount: number) {
    const deadLetter = new MemoryDeadLetters();
    const delays: { action: 'postpone' | 'requeue'; messageId: string; seconds: number }[] = [];
    const processed: string[] = [];
    const keyConcurrency = {
      run: async (key: string, work: () => Promise<unknown>) => {
        if (key === 'a') throw new KeyBusyError('a', 4);
        return { status: 'completed', result: await work(), token: 1 };
      },
    } as unknown as KeyConcurrency;
    const handler = createWorkerHandler({
      catalogue: ordersCatalogue,
      processEvent: async (event) => {
        processed.push(event.id);
      },
      deadLetter,
      maxReceiveCount,
      keyConcurrency,
      retryDelay: {
        postpone: async (r, seconds) => {
          delays.push({ action: 'postpone', messageId: r.messageId, seconds });
        },
        requeue: async (r, seconds) => {
          delays.push({ action: 'requeue', messageId: r.messageId, seconds });
        },
      },
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
    });
    return { handler, deadLetter, delays, processed };
  }

  it('postpones the event by the suggested delay and fails only its record', async () => {
    const { handler, deadLetter, delays, processed } = busyWorker(5);
    const busy = record(envelope('a', 1), undefined, 1);
    const free = record(envelope('b', 1), undefined, 1);

    const response = await handler({ Records: [busy, free] }, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: busy.messageId }]);
    expect(delays).toEqual([{ action: 'postpone', messageId: busy.messageId, seconds: 4 }]);
    expect(deadLetter.letters).toEqual([]);
    expect(processed).toEqual(['e-b-1']);
  });

  it('on a standard queue, requeues a copy and acknowledges the original before its next receive would reach maxReceiveCount', async () => {
    const { handler, deadLetter, delays } = busyWorker(5);
    const busy = record(envelope('a', 1), undefined, 4);
    const free = record(envelope('b', 1), undefined, 1);

    const response = await handler({ Records: [busy, free] }, context);

    expect(response.batchItemFailures).toEqual([]);
    expect(delays).toEqual([{ action: 'requeue', messageId: busy.messageId, seconds: 4 }]);
    expect(deadLetter.letters).toEqual([]);
  });

  it('on a FIFO queue, only postpones (a copy would break the group order), even on the last receive', async () => {
    const { handler, deadLetter, delays } = busyWorker(5);
    const busy = record(envelope('a', 1), 'a', 5);
    const free = record(envelope('b', 1), 'b', 1);

    const response = await handler({ Records: [busy, free] }, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: busy.messageId }]);
    expect(delays).toEqual([{ action: 'postpone', messageId: busy.messageId, seconds: 4 }]);
    expect(deadLetter.letters).toEqual([]);
  });
});
