import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ResultsReader } from '#orders/domain/results-reader.ts';
import type { OrderResultItem } from '#orders/domain/results-table.ts';
import { stackOutputs } from '#test/integration/support/outputs.ts';

export const PIPELINE = 'Lanes-Pipeline';

/** Outputs of the deployed reference pipeline, clients and a results reader. */
export function pipeline() {
  const outputs = stackOutputs(PIPELINE);
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const tableName = outputs.ResultsTableName as string;
  return {
    outputs,
    tableName,
    documentClient,
    reader: new ResultsReader({ tableName, client: documentClient }),
  };
}

/** A run id unique to this test run, so keys never collide with earlier runs. */
export const runId = (label: string) =>
  `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * Polls `check` until it returns a value other than undefined, logging progress; fails with
 * `what` and the last progress line when the deadline passes.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<{ done: T | undefined; progress: string }>,
  options: { timeoutMs: number; intervalMs?: number; log?: boolean },
): Promise<T> {
  const started = Date.now();
  let lastLog = 0;
  let progress = '';
  for (;;) {
    const result = await check();
    progress = result.progress;
    if (result.done !== undefined) return result.done;
    const now = Date.now();
    if (now - started > options.timeoutMs) {
      throw new Error(
        `Timed out after ${options.timeoutMs} ms waiting for ${what}; last state: ${progress}`,
      );
    }
    if (options.log !== false && now - lastLog > 10_000) {
      console.log(`[wait] ${what}: ${progress} (${((now - started) / 1000).toFixed(0)} s)`);
      lastLog = now;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1_000));
  }
}

/** Per key: the publisher's sequences listed in the order the worker processed them (ordinal order). */
export function sequencesInProcessingOrder(items: readonly OrderResultItem[]): number[] {
  return [...items].sort((a, b) => a.ordinal - b.ordinal).map((item) => item.sequence);
}
