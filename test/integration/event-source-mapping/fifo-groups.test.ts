import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createQueue,
  lanesMappingAvailable,
  NEEDS_EMBEDDED,
  Resources,
  sqs,
  type TestQueue,
} from './support/esm.ts';

/**
 * SQS FIFO on the embedded LocalStack: a message group hands out nothing while one of its
 * messages is in flight, as on AWS (localstack#12457 and its relatives in 4.13.1, fixed by the
 * lanes plugin: embedded-localstack/esm/lanes_esm/fifo.py).
 */
const run = `esmf${Date.now().toString(36)}`;
const resources = new Resources();
let available = false;

beforeAll(async () => {
  available = await lanesMappingAvailable();
});

afterAll(() => resources.release());

async function send(queue: TestQueue, group: string, body: string) {
  await sqs.send(
    new SendMessageCommand({ QueueUrl: queue.url, MessageGroupId: group, MessageBody: body }),
  );
}

async function receive(queue: TestQueue, max = 10): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: max }),
  );
  return Messages;
}

const bodies = (messages: Message[]) => messages.map((m) => m.Body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SQS FIFO message groups on the embedded LocalStack', () => {
  it('does not hand out a later message of a group made visible (visibility 0) while the first is in flight', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const queue = await createQueue(resources, `lanes-fifo-vis0-${run}.fifo`, {
      VisibilityTimeout: '30',
    });
    for (const body of ['1', '2', '3']) await send(queue, 'g', body);
    const batch = await receive(queue);
    expect(bodies(batch)).toEqual(['1', '2', '3']);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queue.url,
        ReceiptHandle: batch[1]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await sleep(1_500);
    expect(bodies(await receive(queue))).toEqual([]);
  });

  it('keeps a group closed until its first message is visible again (localstack#12457)', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const queue = await createQueue(resources, `lanes-fifo-12457-${run}.fifo`, {
      VisibilityTimeout: '3',
    });
    for (const body of ['1', '2', '3']) await send(queue, 'g', body);
    const batch = await receive(queue);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queue.url,
        ReceiptHandle: batch[0]?.ReceiptHandle,
        VisibilityTimeout: 7,
      }),
    );
    await sleep(4_500);
    expect(bodies(await receive(queue))).toEqual([]);
    await sleep(3_500);
    expect(bodies(await receive(queue))).toEqual(['1', '2', '3']);
  });

  it("brings a group's expired messages back while another group's message is still in flight", async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const queue = await createQueue(resources, `lanes-fifo-groups-${run}.fifo`, {
      VisibilityTimeout: '2',
    });
    await send(queue, 'a', 'a1');
    const [a1] = await receive(queue, 1);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queue.url,
        ReceiptHandle: a1?.ReceiptHandle,
        VisibilityTimeout: 10,
      }),
    );
    await send(queue, 'b', 'b1');
    expect(bodies(await receive(queue, 1))).toEqual(['b1']);
    await sleep(3_500);
    expect(bodies(await receive(queue))).toEqual(['b1']);
  });
});
