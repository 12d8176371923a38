import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * Approximate number of messages on a queue (visible + in flight + delayed), as SQS reports it.
 *
 * @example
 * const inDlq = await queueDepth(outputs.OrdersDlqUrl);
 */
export async function queueDepth(
  queueUrl: string,
  client: SQSClient = new SQSClient({ useQueueUrlAsEndpoint: false }),
): Promise<number> {
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
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}
