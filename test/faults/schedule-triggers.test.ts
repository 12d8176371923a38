import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { sampleRunKey } from '#orders/domain/sample-sweep.ts';
import { COORDINATION_OUTPUTS } from '#orders/infra/coordination-stack.ts';
import type { TriggerOutcome } from '#shared/coordination/schedule.ts';
import { stackOutputs } from '#test/integration/support/outputs.ts';
import { recordFault } from './support/results.ts';
import { seconds } from './support/stack.ts';

/**
 * Duplicate schedule triggers: EventBridge may deliver a scheduled event more than once, and a
 * retry can arrive while the first run still goes on. Eight triggers of one window hit the
 * deployed sample schedule (two partitions) at once, as the rule's own trigger may too: each
 * partition of the window runs exactly once.
 */
const MINUTE = 60_000;
const TRIGGERS = 8;
const lambda = new LambdaClient({});
const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({}));

async function trigger(functionName: string, time: string): Promise<TriggerOutcome> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: JSON.stringify({ source: 'aws.events', 'detail-type': 'Scheduled Event', time }),
    }),
  );
  const payload = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
  if (out.FunctionError) throw new Error(`Schedule function failed: ${JSON.stringify(payload)}`);
  return payload as TriggerOutcome;
}

describe('fault: duplicate schedule triggers', () => {
  it(`${TRIGGERS} triggers of one window at once: each partition runs it once`, async () => {
    const outputs = stackOutputs('Lanes-Coordination');
    const tableName = outputs[COORDINATION_OUTPUTS.TABLE_NAME] as string;
    const functionName = outputs[COORDINATION_OUTPUTS.SAMPLE_FUNCTION_NAME] as string;
    const scheduleName = outputs[COORDINATION_OUTPUTS.SAMPLE_SCHEDULE_NAME] as string;
    const windowMs = Math.floor(Date.now() / MINUTE) * MINUTE;
    const time = new Date(windowMs + 1_000).toISOString();
    const started = Date.now();

    const outcomes = await Promise.all(
      Array.from({ length: TRIGGERS }, () => trigger(functionName, time)),
    );
    const partitions = outcomes[0]?.partitions.length ?? 0;
    const runs = await Promise.all(
      Array.from({ length: partitions }, async (_, p) => {
        const out = await dynamodb.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { pk: { S: sampleRunKey(scheduleName, windowMs, p) } },
            ConsistentRead: true,
          }),
        );
        return Number(out.Item?.runs?.N ?? 0);
      }),
    );
    const applied = runs.reduce((sum, n) => sum + n, 0);

    recordFault({
      scenario: 'duplicate-schedule-triggers',
      fault: `${TRIGGERS} concurrent triggers of the same window of the deployed sample schedule (${partitions} partitions), besides its EventBridge rule`,
      sent: TRIGGERS,
      processed: runs.filter((n) => n > 0).length,
      effectsApplied: applied,
      duplicates: applied - runs.filter((n) => n > 0).length,
      lost: runs.filter((n) => n === 0).length,
      inDlq: 0,
      expectedInDlq: 0,
      recoverySeconds: seconds(Date.now() - started),
      details: { partitions, runsPerPartition: runs },
      notes:
        'processed/effects count (sub-)window runs; recoverySeconds: until all triggers answered.',
    });

    expect(partitions).toBe(2);
    expect(outcomes.every((o) => o.windowStartMs === windowMs)).toBe(true);
    expect(runs).toEqual([1, 1]);
  });
});
