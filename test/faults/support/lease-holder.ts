/**
 * A lease holder in its own process, for the "holder paused past its lease" fault.
 * argv: <tableName> <leaseName> <durationMs>
 * Holds the lease with runExclusive (heartbeats every third of the duration) and appends a
 * fenced entry `<owner>:<token>:<n>` to the item `fenced#<leaseName>` every 100 ms, printing
 * `{"n","token","outcome","aborted"}` per attempt. It keeps writing after its signal aborts, as a
 * process resumed from a pause may act before it notices: the fence must keep those writes out.
 */
import { DynamoDBLeaseStore } from '#shared/coordination/dynamodb-lease-store.ts';
import { FencedWriter } from '#shared/coordination/fencing.ts';

const [tableName = '', leaseName = '', durationMs = '2000'] = process.argv.slice(2);
const owner = `paused-${process.pid}`;
const store = new DynamoDBLeaseStore({ tableName, owner });
const writer = new FencedWriter({ client: store.client });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await store.runExclusive(
  leaseName,
  async ({ lease, signal }) => {
    for (let n = 1; ; n++) {
      const { token } = lease();
      let outcome = 'written';
      try {
        await writer.update(
          {
            TableName: tableName,
            Key: { pk: { S: `fenced#${leaseName}` } },
            UpdateExpression: 'SET #log = list_append(if_not_exists(#log, :empty), :entry)',
            ExpressionAttributeNames: { '#log': 'log' },
            ExpressionAttributeValues: {
              ':empty': { L: [] },
              ':entry': { L: [{ S: `${owner}:${token}:${n}` }] },
            },
          },
          token,
        );
      } catch (error) {
        outcome = (error as Error).name;
      }
      console.log(JSON.stringify({ n, token, outcome, aborted: signal.aborted }));
      await sleep(100);
    }
  },
  { durationMs: Number(durationMs) },
);
