import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueDepths } from '../dlq/depth.ts';

/** The queue's state as the autoscaler reads it. */
export interface QueueReading {
  readonly visible: number;
  readonly inFlight: number;
  /** ApproximateAgeOfOldestMessage, the newest datapoint within the window; undefined when none. */
  readonly oldestMessageAgeSeconds: number | undefined;
}

/** The queue name of an SQS queue URL (the CloudWatch `QueueName` dimension). */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.split('/').pop() ?? queueUrl;
}

/**
 * Reads a queue's depths (GetQueueAttributes: current) and, when asked, the age of its oldest
 * message (CloudWatch `AWS/SQS ApproximateAgeOfOldestMessage`, Maximum per minute on AWS; SQS
 * has no attribute for it). The embedded LocalStack publishes the metric too (lanes_esm).
 *
 * @example
 * const { visible, inFlight } = await readQueue(sqs, cloudwatch, queueUrl, { age: false });
 */
export async function readQueue(
  sqs: SQSClient,
  cloudwatch: CloudWatchClient | undefined,
  queueUrl: string,
  options: { readonly age: boolean; readonly nowMs: number; readonly windowSeconds?: number },
): Promise<QueueReading> {
  const [depths, age] = await Promise.all([
    queueDepths(queueUrl, sqs),
    options.age
      ? oldestMessageAge(cloudwatch ?? new CloudWatchClient({}), queueUrl, options)
      : undefined,
  ]);
  return { visible: depths.visible, inFlight: depths.inFlight, oldestMessageAgeSeconds: age };
}

async function oldestMessageAge(
  cloudwatch: CloudWatchClient,
  queueUrl: string,
  options: { readonly nowMs: number; readonly windowSeconds?: number },
): Promise<number | undefined> {
  const windowSeconds = options.windowSeconds ?? 300;
  const { MetricDataResults = [] } = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(options.nowMs - windowSeconds * 1000),
      EndTime: new Date(options.nowMs),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'age',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: queueNameOf(queueUrl) }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    }),
  );
  return MetricDataResults[0]?.Values?.[0];
}
