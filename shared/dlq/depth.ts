import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

/** A queue's approximate message counts, as SQS reports them. */
export interface QueueDepths {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/**
 * Approximate numbers of visible, in-flight and delayed messages on a queue.
 *
 * @example
 * const { visible, inFlight } = await queueDepths(queueUrl);
 */
export async function queueDepths(
  queueUrl: string,
  client: SQSClient = new SQSClient({ useQueueUrlAsEndpoint: false }),
): Promise<QueueDepths> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/**
 * Approximate number of messages on a queue (visible + in flight + delayed).
 *
 * @example
 * const inDlq = await queueDepth(outputs.OrdersDlqUrl);
 */
export async function queueDepth(queueUrl: string, client?: SQSClient): Promise<number> {
  const { visible, inFlight, delayed } = await queueDepths(queueUrl, client);
  return visible + inFlight + delayed;
}
