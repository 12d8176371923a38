import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts the requests a DynamoDB client sends, per command name, with an SDK middleware
 * (`finalizeRequest` runs once per HTTP attempt, so SDK retries count too).
 */
export function countRequests(client: DynamoDBClient): {
  readonly byCommand: Map<string, number>;
  total(): number;
  reset(): void;
} {
  const byCommand = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      byCommand.set(name, (byCommand.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'lanesRequestCounter' },
  );
  return {
    byCommand,
    total: () => [...byCommand.values()].reduce((a, b) => a + b, 0),
    reset: () => byCommand.clear(),
  };
}
