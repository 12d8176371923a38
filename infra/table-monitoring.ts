import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { createAlarm, DEFAULT_ALARM_PERIOD } from './alarms.ts';

/**
 * Read and write requests DynamoDB throttled on a table, summed (`ReadThrottleEvents` +
 * `WriteThrottleEvents`, by table). On-demand tables throttle too: above a partition's 1,000
 * write or 3,000 read units per second, or beyond the table's warm throughput.
 */
export function tableThrottlesMetric(table: dynamodb.ITable): cloudwatch.IMetric {
  const metric = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap: { TableName: table.tableName },
      statistic: 'Sum',
      period: DEFAULT_ALARM_PERIOD,
    });
  return new cloudwatch.MathExpression({
    expression: 'reads + writes',
    usingMetrics: { reads: metric('ReadThrottleEvents'), writes: metric('WriteThrottleEvents') },
    label: 'throttled requests',
    period: DEFAULT_ALARM_PERIOD,
  });
}

/** An alarm on a table's throttled requests. */
export function createTableThrottleAlarm(
  scope: Construct,
  id: string,
  table: dynamodb.ITable,
  threshold: number,
  why: string,
): cloudwatch.Alarm {
  return createAlarm(scope, id, {
    metric: tableThrottlesMetric(table),
    threshold,
    description: `DynamoDB throttled requests on ${scope.node.path} (${why}): spread the keys or raise the table's warm throughput.`,
  });
}
