/**
 * A lease holder in its own process, for the "holder stops renewing / is killed" tests.
 * argv: <tableName> <mode: lease|slot> <name> <durationMs>
 * Acquires (a lease, or a slot of a limit-3 semaphore), makes one fenced write to
 * `fenced#<name>` with its token, prints `{"acquired":...,"expiresAtMs":...}`, and never renews. Each line "write"
 * on stdin makes one more fenced write and prints its outcome. The test kills the process.
 */
import { createInterface } from 'node:readline';
import { DynamoDBLeaseStore } from '#shared/coordination/dynamodb-lease-store.ts';
import { FencedWriter } from '#shared/coordination/fencing.ts';
import { Semaphore } from '#shared/coordination/semaphore.ts';

const [tableName = '', mode = 'lease', name = '', durationMs = '2000'] = process.argv.slice(2);
const store = new DynamoDBLeaseStore({ tableName, owner: `child-${process.pid}` });
const writer = new FencedWriter({ client: store.client });

const lease =
  mode === 'slot'
    ? await new Semaphore(store, { limit: 3 }).acquire(name, { durationMs: Number(durationMs) })
    : await store.acquire(name, { durationMs: Number(durationMs) });

async function write(): Promise<string> {
  try {
    await writer.update(
      {
        TableName: tableName,
        Key: { pk: { S: `fenced#${name}` } },
        UpdateExpression: 'SET #w = :w',
        ExpressionAttributeNames: { '#w': 'writer' },
        ExpressionAttributeValues: { ':w': { S: `child-${process.pid}` } },
      },
      lease.token,
    );
    return 'written';
  } catch (error) {
    return (error as Error).name;
  }
}

console.log(
  JSON.stringify({
    acquired: lease.token,
    slot: 'slot' in lease ? lease.slot : null,
    expiresAtMs: lease.expiresAtMs,
    write: await write(),
  }),
);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'write') console.log(JSON.stringify({ write: await write() }));
}
