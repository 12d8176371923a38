import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionTiming, type LocalStackTimings, readTimings } from '#localstack/esm-stats.ts';
import { localStackEnvironment, paths } from '#localstack/settings.ts';
import { ordersCatalogue } from '#orders/domain/order-events.ts';
import { Publisher } from '#shared/ingress/publisher.ts';
import { routerFromOutputs } from '#shared/ingress/router.ts';
import {
  endpoint,
  lanesMappingAvailable,
  NEEDS_EMBEDDED,
} from '#test/integration/event-source-mapping/support/esm.ts';
import { pipeline, runId, waitFor } from '#test/integration/ingress/support.ts';

/**
 * On the embedded LocalStack, functions' DynamoDB calls go to DynamoDB Local itself
 * (LANES_FUNCTIONS_DYNAMODB=direct): the deployed orders worker's effects land in the tables
 * CloudFormation created through LocalStack (one shared database), and the calls are counted per
 * function in /_lanes/timings because the gateway no longer sees them. (That DynamoDB Local
 * listens on the loopback only is checked by test/integration/localstack/loopback.test.ts.)
 */
const { outputs, reader } = pipeline();
const ordersFunction = outputs.OrdersFunctionName as string;
let available = false;

beforeAll(async () => {
  available = await lanesMappingAvailable();
});

/** The command lines of this checkout's DynamoDB Local processes (its jar is under .lanes/). */
function dynamodbLocalCommands(): string[][] {
  const commands: string[][] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // ended meanwhile, or not ours to read
    }
    if (argv.some((arg) => arg.startsWith(paths.libDir) && arg.endsWith('DynamoDBLocal.jar'))) {
      commands.push(argv);
    }
  }
  return commands;
}

describe('functions reach DynamoDB Local directly on the embedded LocalStack', () => {
  it('the orders worker applies its events; its calls are timed per function (direct) or served by the gateway', async (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const customer = runId('ddb-direct');
    const publisher = new Publisher({
      catalogue: ordersCatalogue,
      router: routerFromOutputs(outputs, 'direct'),
    });
    const events = [1, 2, 3].map((n) => ({
      type: 'orders.created' as const,
      data: {
        orderId: `${customer}-o${n}`,
        customerId: customer,
        amountCents: 100,
        currency: 'EUR',
      },
    }));
    // The timings count since LocalStack started: compare with what they held before.
    const before = await readTimings(endpoint());
    const counts = (timings: LocalStackTimings | undefined) => ({
      functionCommits:
        functionTiming(timings, 'dynamodb.TransactWriteItems', ordersFunction)?.count ?? 0,
      functionReads: functionTiming(timings, 'dynamodb.GetItem', ordersFunction)?.count ?? 0,
      gatewayCommits: timings?.operations.dynamodb?.TransactWriteItems?.count ?? 0,
    });
    const { sent } = await publisher.publish(events);
    expect(sent).toBe(3);

    const items = await waitFor(
      `3 results of ${customer}`,
      async () => {
        const found = await reader.orderResults(customer);
        return { done: found.length === 3 ? found : undefined, progress: `${found.length}/3` };
      },
      { timeoutMs: 60_000 },
    );
    expect(items.map((item) => item.ordinal).sort()).toEqual([1, 2, 3]);

    const after = await readTimings(endpoint());
    const [was, now] = [counts(before), counts(after)];
    if (process.env.LANES_FUNCTIONS_DYNAMODB === 'gateway') {
      // Kept on LocalStack's endpoint: the gateway served the commits, no function timed any
      // (at least one of the orders worker, and one of the notifications worker).
      console.info('[dynamodb] LANES_FUNCTIONS_DYNAMODB=gateway: checking the gateway path');
      expect(now.functionCommits).toBe(0);
      expect(now.gatewayCommits - was.gatewayCommits).toBeGreaterThanOrEqual(2);
      return;
    }
    // Measured by the function: the key's state read, and its commits (one per batch's run of
    // the key: 1 to 3 for these 3 events; other files' events may be counted too, they run at once).
    expect(now.functionCommits - was.functionCommits).toBeGreaterThanOrEqual(1);
    expect(now.functionReads - was.functionReads).toBeGreaterThanOrEqual(1);
    expect(
      functionTiming(after, 'dynamodb.TransactWriteItems', ordersFunction)?.meanMs ?? 0,
    ).toBeGreaterThan(0);
  });

  it('DynamoDB Local runs with the JVM options and heap the embedded LocalStack gives it', (ctx) => {
    ctx.skip(!available, NEEDS_EMBEDDED);
    const wanted = localStackEnvironment(0);
    const commands = dynamodbLocalCommands();
    // Started for the deploy's tables (one per LocalStack of this checkout).
    expect(commands.length).toBeGreaterThanOrEqual(1);
    const options = (wanted.LANES_DYNAMODB_JVM_OPTIONS ?? '').split(/\s+/).filter(Boolean);
    for (const argv of commands) {
      const jvmOptions = argv.slice(0, argv.indexOf('-jar'));
      expect(jvmOptions).toEqual(
        expect.arrayContaining([...options, `-Xmx${wanted.DYNAMODB_HEAP_SIZE}`]),
      );
    }
  });
});
