import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { sampleRunKey } from '#orders/domain/sample-sweep.ts';
import { COORDINATION_OUTPUTS } from '#orders/infra/coordination-stack.ts';
import type { TriggerOutcome } from '#shared/coordination/schedule.ts';
import { stackOutputs } from '#test/integration/support/outputs.ts';

const MINUTE = 60_000;
const dynamodb = new DynamoDBClient({});
const lambda = new LambdaClient({});

async function runRecord(
  tableName: string,
  scheduleName: string,
  windowMs: number,
  partition: number,
) {
  const out = await dynamodb.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: sampleRunKey(scheduleName, windowMs, partition) } },
      ConsistentRead: true,
    }),
  );
  return out.Item ? { runs: Number(out.Item.runs?.N), source: out.Item.source?.S } : undefined;
}

async function invokeWithLogs(
  functionName: string,
  time: string,
): Promise<{ outcome: TriggerOutcome; logs: string }> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: JSON.stringify({ source: 'lanes.test', 'detail-type': 'Scheduled Event', time }),
      LogType: 'Tail',
    }),
  );
  const payload = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
  if (out.FunctionError) throw new Error(`Scheduler function failed: ${JSON.stringify(payload)}`);
  const logs = out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : '';
  return { outcome: payload as TriggerOutcome, logs };
}

async function invoke(functionName: string, time: string): Promise<TriggerOutcome> {
  return (await invokeWithLogs(functionName, time)).outcome;
}

async function lastWindowMs(tableName: string, scheduleName: string, partition: number) {
  const out = await dynamodb.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: `lease#sched#${scheduleName}#p${partition}` } },
      ConsistentRead: true,
    }),
  );
  return Number(out.Item?.lastWindowMs?.N ?? 0);
}

describe('Lanes-Coordination sample schedule (deployed)', () => {
  const outputs = stackOutputs('Lanes-Coordination');
  const tableName = outputs[COORDINATION_OUTPUTS.TABLE_NAME] ?? '';
  const functionName = outputs[COORDINATION_OUTPUTS.SAMPLE_FUNCTION_NAME] ?? '';
  const scheduleName = outputs[COORDINATION_OUTPUTS.SAMPLE_SCHEDULE_NAME] ?? '';

  it('runs each partition of a window once when the deployed function is invoked twice at once', async () => {
    const windowMs = Math.floor(Date.now() / MINUTE) * MINUTE;
    const time = new Date(windowMs + 1_000).toISOString();

    const outcomes = await Promise.all([invoke(functionName, time), invoke(functionName, time)]);
    const records = await Promise.all(
      [0, 1].map((p) => runRecord(tableName, scheduleName, windowMs, p)),
    );

    // The rule may have run this window already; either way each partition ran exactly once.
    expect(records.map((r) => r?.runs)).toEqual([1, 1]);
    expect(outcomes.map((o) => o.windowStartMs)).toEqual([windowMs, windowMs]);
    for (const partition of [0, 1]) {
      const ranHere = outcomes.flatMap((o) =>
        o.partitions.filter((p) => p.partition === partition && p.ranWindows.includes(windowMs)),
      );
      expect(ranHere.length).toBeLessThanOrEqual(1);
    }
  });

  it('refuses a trigger time in 2031 and logs it: no run, and the schedule state stays in the present', async () => {
    const future = Date.parse('2031-01-01T00:00:00Z');
    const { outcome, logs } = await invokeWithLogs(functionName, new Date(future).toISOString());

    expect(outcome.partitions).toEqual([]);
    expect(outcome.refused?.reason).toMatch(
      /2031-01-01T00:00:00\.000Z is \d+ s ahead of the clock/,
    );
    expect(logs).toMatch(/trigger refused, nothing run/);
    for (const partition of [0, 1]) {
      expect(await runRecord(tableName, scheduleName, future, partition)).toBeUndefined();
      // The rule keeps moving the state minute by minute; it never jumped to 2031.
      expect(await lastWindowMs(tableName, scheduleName, partition)).toBeLessThanOrEqual(
        Date.now(),
      );
    }
    // The next plausible trigger is handled as usual.
    const windowMs = Math.floor(Date.now() / MINUTE) * MINUTE;
    const next = await invoke(functionName, new Date(windowMs + 500).toISOString());
    expect(next.refused).toBeUndefined();
    expect(next.partitions.map((p) => p.status)).toEqual(expect.arrayContaining(['ran']));
  });

  it('is triggered by its EventBridge rule on LocalStack', async () => {
    // rate(1 minute) is the smallest schedule: wait at most ~2 minutes for a rule-triggered run.
    const deadline = Date.now() + 130_000;
    let found: { windowMs: number; runs: number } | undefined;
    while (!found && Date.now() < deadline) {
      const now = Math.floor(Date.now() / MINUTE) * MINUTE;
      for (const windowMs of [now - 2 * MINUTE, now - MINUTE, now]) {
        const record = await runRecord(tableName, scheduleName, windowMs, 0);
        if (record?.source === 'aws.events') found = { windowMs, runs: record.runs };
      }
      if (!found) await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    expect(found).toBeDefined();
    expect(found?.runs).toBe(1);
  });
});
