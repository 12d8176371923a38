import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, EventCatalogue } from '#shared/events/catalogue.ts';
import { InvalidEventError } from '#shared/events/errors.ts';
import { DuplicateEventIdError } from '#shared/ingress/errors.ts';
import { messageGroupIdFor } from '#shared/ingress/group-id.ts';
import { Publisher } from '#shared/ingress/publisher.ts';
import { directRouter } from '#shared/ingress/router.ts';
import { decodeRecord } from '#shared/worker/decode.ts';
import { runId } from './support.ts';

/** A catalogue whose partition key is any string the caller gives (tenant names, say). */
const TenantNoted = defineEvent({
  type: 'tenants.noted',
  schema: z.object({ tenant: z.string(), note: z.number().int() }),
  partitionKey: (data) => data.tenant,
});
const catalogue = new EventCatalogue([TenantNoted]);

const KEYS = {
  unicode: 'tenant-日本',
  spaces: 'ACME Corp EU',
  lowerCase: 'acme corp eu',
  plain: 'customer-9',
  longestAscii: `max-${'k'.repeat(508)}`, // 512 bytes
  longestUnicode: `日本--${'é'.repeat(252)}`, // 3 + 3 + 2 + 252 x 2 = 512 bytes
} as const;
const EVENTS_PER_KEY = 6;

describe('Publisher partition keys and ids on a LocalStack FIFO queue', () => {
  // Queue URLs name the gateway as localhost; keep requests on the configured endpoint.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  const run = runId('keys');
  let queueUrl = '';

  beforeAll(async () => {
    ({ QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({
        QueueName: `lanes-${run}.fifo`,
        Attributes: { FifoQueue: 'true', VisibilityTimeout: '30' },
      }),
    ));
  });
  afterAll(async () => {
    if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  });

  const publisher = () =>
    new Publisher({
      catalogue,
      router: directRouter(
        [{ group: 'tenants', typePrefixes: ['tenants.'], queueUrl, fifo: true }],
        sqs,
      ),
      source: 'lanes.test',
    });

  /** Receives until `count` messages came (deleting each batch, as a worker would). */
  async function receiveAll(count: number, timeoutMs = 60_000): Promise<Message[]> {
    const received: Message[] = [];
    const deadline = Date.now() + timeoutMs;
    while (received.length < count && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['MessageGroupId', 'ApproximateReceiveCount'],
        }),
      );
      if (Messages.length === 0) continue;
      received.push(...Messages);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    return received;
  }

  /** The message as the Lambda event source mapping hands it to a worker. */
  const asRecord = (message: Message): SQSRecord =>
    ({
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: message.Attributes ?? {},
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:lanes-${run}.fifo`,
      awsRegion: 'us-east-1',
    }) as SQSRecord;

  it('sends Unicode, spaced and maximum-length keys; each arrives with its original key, in order per key', async () => {
    const keys = Object.values(KEYS);
    expect([KEYS.longestAscii, KEYS.longestUnicode].map((k) => Buffer.byteLength(k))).toEqual([
      512, 512,
    ]);
    // Interleaved: key 0 event 1, key 1 event 1, ..., key 0 event 2, ...
    const inputs = Array.from({ length: EVENTS_PER_KEY }, (_, n) =>
      keys.map((tenant) => ({ type: 'tenants.noted', data: { tenant, note: n + 1 } })),
    ).flat();

    const summary = await publisher().publish(inputs);
    expect(summary.results.filter((r) => r.error).map((r) => r.error?.message)).toEqual([]);
    expect(summary.sent).toBe(keys.length * EVENTS_PER_KEY);

    const messages = await receiveAll(keys.length * EVENTS_PER_KEY);
    expect(messages).toHaveLength(keys.length * EVENTS_PER_KEY);
    const notesPerKey = new Map<string, number[]>();
    const groupsPerKey = new Map<string, Set<string>>();
    for (const message of messages) {
      const { envelope } = decodeRecord(asRecord(message), catalogue);
      const key = envelope.partitionKey;
      notesPerKey.set(key, [
        ...(notesPerKey.get(key) ?? []),
        (envelope.data as { note: number }).note,
      ]);
      groupsPerKey.set(
        key,
        (groupsPerKey.get(key) ?? new Set()).add(message.Attributes?.MessageGroupId ?? ''),
      );
    }
    // Every original key came back, case kept ('ACME Corp EU' and 'acme corp eu' stay two keys).
    expect(new Set(notesPerKey.keys())).toEqual(new Set(keys));
    const inOrder = Array.from({ length: EVENTS_PER_KEY }, (_, n) => n + 1);
    for (const key of keys) {
      expect(notesPerKey.get(key), `order of ${key.slice(0, 20)}`).toEqual(inOrder);
      expect(groupsPerKey.get(key)).toEqual(new Set([messageGroupIdFor(key)]));
    }
    // Readable where it could be, hashed only where the escaped key is too long.
    expect(groupsPerKey.get(KEYS.plain)).toEqual(new Set(['customer-9']));
    expect(groupsPerKey.get(KEYS.unicode)).toEqual(new Set(['tenant-%E6%97%A5%E6%9C%AC']));
    expect(groupsPerKey.get(KEYS.spaces)).toEqual(new Set(['ACME%20Corp%20EU']));
    expect([...(groupsPerKey.get(KEYS.longestUnicode) ?? [])][0]).toMatch(/%~[A-Za-z0-9_-]{43}$/);
  });

  it('refuses duplicate ids and bad keys per event, and still sends every valid event of the call', async () => {
    const event = (tenant: string, note: number, id: string) => ({
      type: 'tenants.noted',
      id,
      data: { tenant, note },
    });
    const summary = await publisher().publish([
      event('dup-a', 1, `${run}-1`),
      event('dup-b', 1, `${run}-2`),
      event('dup-a', 2, `${run}-1`), // same id as #0
      event('', 1, `${run}-3`), // empty key
      event('x'.repeat(513), 1, `${run}-4`), // 513 bytes
      event('dup-b', 2, `${run}-5`),
    ]);

    expect(summary.results.map((r) => r.status)).toEqual([
      'sent',
      'sent',
      'rejected',
      'rejected',
      'rejected',
      'sent',
    ]);
    expect(summary.results[2]?.error).toBeInstanceOf(DuplicateEventIdError);
    expect(summary.results[2]?.error?.message).toContain(
      `Event #2 (id ${run}-1, type tenants.noted): field id "${run}-1" is already used by event #0`,
    );
    expect(summary.results[3]?.error).toBeInstanceOf(InvalidEventError);
    expect(summary.results[3]?.error?.message).toMatch(/#3 .*partitionKey: is empty/);
    expect(summary.results[4]?.error?.message).toMatch(/#4 .*partitionKey: is 513 bytes in UTF-8/);

    const messages = await receiveAll(3);
    const ids = messages.map((m) => decodeRecord(asRecord(m), catalogue).envelope.id);
    expect(ids.sort()).toEqual([`${run}-1`, `${run}-2`, `${run}-5`].sort());
    // Nothing else is on the queue: the refused events were never sent.
    expect(await receiveAll(1, 3_000)).toEqual([]);
  });
});
