import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ScheduleWindow } from 'lanes/coordination';
import { FencedWriter } from 'lanes/coordination';

/**
 * The reference stack's sample scheduled work: records that a (sub-)window ran, counting runs so
 * tests can check "exactly once per window", as a fenced write (a stale holder's write is
 * rejected). Stands in for a real sweep over `[startMs, endMs)`.
 *
 * @example
 * export const handler = createScheduleHandler((w, ctx) => recordWindowRun(w, ctx.tableName, ctx.source));
 */
export async function recordWindowRun(
  window: ScheduleWindow,
  tableName: string,
  source: string,
  writer: FencedWriter = defaultWriter(),
): Promise<void> {
  await writer.update(
    {
      TableName: tableName,
      Key: { pk: { S: sampleRunKey(window.scheduleName, window.windowStartMs, window.partition) } },
      UpdateExpression:
        'ADD #runs :one SET #source = :source, #startMs = :start, #endMs = :end, #ttl = :ttl',
      ExpressionAttributeNames: {
        '#runs': 'runs',
        '#source': 'source',
        '#startMs': 'startMs',
        '#endMs': 'endMs',
        '#ttl': 'ttl',
      },
      ExpressionAttributeValues: {
        ':one': { N: '1' },
        ':source': { S: source },
        ':start': { N: String(window.startMs) },
        ':end': { N: String(window.endMs) },
        ':ttl': { N: String(Math.ceil(window.endMs / 1000) + 86_400) },
      },
    },
    window.token,
  );
}

/** Key of a sample run record. */
export function sampleRunKey(
  scheduleName: string,
  windowStartMs: number,
  partition: number,
): string {
  return `sample#${scheduleName}#${windowStartMs}#p${partition}`;
}

let writer: FencedWriter | undefined;
function defaultWriter(): FencedWriter {
  writer ??= new FencedWriter({ client: new DynamoDBClient({}) });
  return writer;
}
