/**
 * Coordination benchmark (`npm run bench:coordination`: starts the embedded LocalStack when
 * needed; or AWS_ENDPOINT_URL). Measures, in one run, against a fresh table:
 * 1. DynamoDB requests per processed message: no idempotency (baseline) vs the Powertools path vs
 *    our transactional path, for first deliveries and for duplicates (SDK middleware counts).
 * 2. Lease acquire and renew latency p50/p99 with 1 and with 50 contenders, next to a plain
 *    GetItem baseline.
 * 3. Failover time (holder stops renewing until the new holder's first fenced write succeeds) as
 *    a ratio of the lease duration, 20 runs each, interleaved: the library's expiry-aware wait
 *    (`acquireWhenFree`) against the baseline standby polling every 5 % of the duration, with
 *    where the time goes (holder's expiry, detection lag after it, acquire, fenced write) and
 *    the safety checks (token strictly greater, the old holder's renew refused and its local
 *    validity over before the takeover).
 * Writes test/bench/results/coordination.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';

import { benchTarget } from '#test/bench/support/target.ts';

// Before the SDK clients below are created: they read the endpoint from the environment.
await benchTarget();

const { DynamoDBLeaseStore } = await import('#shared/coordination/dynamodb-lease-store.ts');
const { FencedWriter } = await import('#shared/coordination/fencing.ts');
const { powertoolsIdempotency } = await import('#shared/coordination/powertools-idempotency.ts');
const { TransactionalIdempotency } = await import(
  '#shared/coordination/transactional-idempotency.ts'
);
const { countRequests } = await import('#test/integration/coordination/support/request-counter.ts');
const { createCoordinationTable } = await import('#test/integration/coordination/support/table.ts');

const MESSAGES = 50;
const SOLO_ROUNDS = 200;
const CONTENDERS = 50;
const ATTEMPTS_PER_CONTENDER = 20;
const FAILOVER_RUNS = 20;
const FAILOVER_LEASE_MS = 2_000;
const RESULT_FILE = resolve(process.cwd(), 'test/bench/results/coordination.json');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { n: sorted.length, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)) };
}

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    samples.push(performance.now() - start);
  }
}

const client = new DynamoDBClient({});
const requests = countRequests(client);
const { tableName, drop } = await createCoordinationTable(new DynamoDBClient({}));
console.log(`[bench] table ${tableName}`);

function effect(pk: string) {
  return {
    TableName: tableName,
    Key: { pk: { S: pk } },
    UpdateExpression: 'ADD #c :one',
    ExpressionAttributeNames: { '#c': 'count' },
    ExpressionAttributeValues: { ':one': { N: '1' } },
  };
}

// 1. Requests per message ----------------------------------------------------------------------
async function measure(label: string, deliver: (id: string) => Promise<unknown>) {
  requests.reset();
  for (let i = 0; i < MESSAGES; i++) await deliver(`${label}-${i}`);
  const first = requests.total() / MESSAGES;
  requests.reset();
  for (let i = 0; i < MESSAGES; i++) await deliver(`${label}-${i}`);
  const duplicate = requests.total() / MESSAGES;
  console.log(
    `[bench] ${label}: ${first} requests/first delivery, ${duplicate} requests/duplicate`,
  );
  return { requestsPerMessage: first, requestsPerDuplicate: duplicate };
}

const context = { functionName: 'bench', getRemainingTimeInMillis: () => 10_000 } as Context;
const powertoolsHandler = makeIdempotent(
  async (event: { id: string; detail: { n: number } }, _context: Context) => {
    await client.send(new UpdateItemCommand(effect(`effect#${event.id}`)));
    return { ok: true };
  },
  powertoolsIdempotency({ tableName, keyPrefix: 'bench', client }),
);
const transactional = new TransactionalIdempotency({ tableName, keyPrefix: 'bench', client });

const idempotency = {
  none: await measure('none', (id) => client.send(new UpdateItemCommand(effect(`effect#${id}`)))),
  powertools: await measure('powertools', (id) =>
    powertoolsHandler({ id, detail: { n: 1 } }, context),
  ),
  transactional: await measure('transactional', (id) =>
    transactional.run({
      key: id,
      payload: { n: 1 },
      result: { ok: true },
      effect: [{ Update: effect(`effect#${id}`) }],
    }),
  ),
};

// 2. Lease latency -----------------------------------------------------------------------------
const getItemBaseline: number[] = [];
for (let i = 0; i < SOLO_ROUNDS; i++) {
  await timed(getItemBaseline, () =>
    client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'lease#solo' } } })),
  );
}
const solo = { acquire: [] as number[], renew: [] as number[] };
{
  const store = new DynamoDBLeaseStore({ tableName, client, defaultDurationMs: 10_000 });
  for (let i = 0; i < SOLO_ROUNDS; i++) {
    const lease = await timed(solo.acquire, () => store.acquire('solo'));
    const renewed = await timed(solo.renew, () => store.renew(lease));
    await store.release(renewed);
  }
}
const contended = { acquire: [] as number[], renew: [] as number[], acquired: 0 };
await Promise.all(
  Array.from({ length: CONTENDERS }, async (_, i) => {
    const store = new DynamoDBLeaseStore({
      tableName,
      client,
      owner: `c${i}`,
      defaultDurationMs: 10_000,
    });
    for (let a = 0; a < ATTEMPTS_PER_CONTENDER; a++) {
      const { lease } = await timed(contended.acquire, () => store.tryAcquire('contended'));
      if (lease) {
        contended.acquired++;
        let held = lease;
        for (let r = 0; r < 10; r++) held = await timed(contended.renew, () => store.renew(held));
        await store.release(held);
      }
    }
  }),
);

// 3. Failover ----------------------------------------------------------------------------------
const { LeaseLostError } = await import('#shared/coordination/errors.ts');
const writer = new FencedWriter({ client });
const POLL_EVERY_MS = FAILOVER_LEASE_MS / 20;

interface FailoverRun {
  /** Holder stopped renewing (right after its acquire returned) until the first fenced write. */
  totalMs: number;
  /** From the stop until the stored expiry (the duration minus the holder's acquire latency). */
  untilExpiryMs: number;
  /** From the expiry until the successful attempt was sent. */
  detectionLagMs: number;
  acquireMs: number;
  writeMs: number;
  /** Acquire attempts the successor sent. */
  attempts: number;
}

async function failover(name: string, wait: 'expiryAware' | 'fixedPoll'): Promise<FailoverRun> {
  const attemptsAt: number[] = [];
  const holder = new DynamoDBLeaseStore({ tableName, client, owner: 'holder' });
  const successor = new DynamoDBLeaseStore({
    tableName,
    client,
    owner: 'successor',
    // Record when each sleep ends: that is when the next attempt is sent.
    sleep: (ms) =>
      new Promise((r) => setTimeout(r, ms)).then(() => void attemptsAt.push(performance.now())),
  });
  const held = await holder.acquire(name, { durationMs: FAILOVER_LEASE_MS });
  const stoppedAt = performance.now(); // the holder stops renewing right after acquiring
  const expiryAt = stoppedAt + (held.expiresAtMs - Date.now());
  attemptsAt.push(stoppedAt);
  let lease: Awaited<ReturnType<typeof successor.acquire>>;
  if (wait === 'expiryAware') {
    lease = await successor.acquireWhenFree(name, { durationMs: FAILOVER_LEASE_MS });
  } else {
    // The baseline: a standby replica polling every 5 % of the lease duration.
    for (;;) {
      const result = await successor.tryAcquire(name, { durationMs: FAILOVER_LEASE_MS });
      if (result.lease) {
        lease = result.lease;
        break;
      }
      await sleep(POLL_EVERY_MS);
      attemptsAt.push(performance.now());
    }
  }
  const acquiredAt = performance.now();
  await writer.update(
    { ...effect(`failover#${name}`), UpdateExpression: 'ADD #c :one' },
    lease.token,
  );
  const wroteAt = performance.now();
  // Safety: a strictly greater token, the old holder refused, and no overlap of validity.
  if (!(lease.token > held.token)) throw new Error(`token ${lease.token} not above ${held.token}`);
  if (holder.isValid(held)) throw new Error('the old holder still believes it holds the lease');
  const renew = await holder.renew(held).then(
    () => 'renewed',
    (error: unknown) => (error instanceof LeaseLostError ? 'lost' : String(error)),
  );
  if (renew !== 'lost') throw new Error(`the old holder's renew was not refused: ${renew}`);
  const lastAttemptAt = attemptsAt[attemptsAt.length - 1] ?? stoppedAt;
  return {
    totalMs: wroteAt - stoppedAt,
    untilExpiryMs: expiryAt - stoppedAt,
    detectionLagMs: lastAttemptAt - expiryAt,
    acquireMs: acquiredAt - lastAttemptAt,
    writeMs: wroteAt - acquiredAt,
    attempts: attemptsAt.length,
  };
}

const failoverRuns = { expiryAware: [] as FailoverRun[], fixedPoll: [] as FailoverRun[] };
for (let run = 0; run < FAILOVER_RUNS; run++) {
  // Interleaved, so both see the same machine load.
  failoverRuns.expiryAware.push(await failover(`failover-aware-${run}`, 'expiryAware'));
  failoverRuns.fixedPoll.push(await failover(`failover-poll-${run}`, 'fixedPoll'));
}

await drop();

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const ms = (v: number) => Math.round(v * 10) / 10;
function summarize(runs: FailoverRun[]) {
  const ratios = runs.map((r) => r.totalMs / FAILOVER_LEASE_MS).sort((a, b) => a - b);
  const mean = (pick: (r: FailoverRun) => number) =>
    ms(runs.reduce((sum, r) => sum + pick(r), 0) / runs.length);
  const max = (pick: (r: FailoverRun) => number) => ms(Math.max(...runs.map(pick)));
  return {
    runsMs: runs.map((r) => Math.round(r.totalMs)),
    meanRatio: ratio(
      ratios.reduce((a, b) => a + b, 0),
      ratios.length,
    ),
    p50Ratio: ratio(ratios[Math.ceil(ratios.length / 2) - 1] ?? 0, 1),
    maxRatio: ratio(ratios[ratios.length - 1] ?? 0, 1),
    // Where the time goes: total = untilExpiry + detectionLag + acquire + write.
    breakdownMeanMs: {
      untilExpiry: mean((r) => r.untilExpiryMs),
      detectionLag: mean((r) => r.detectionLagMs),
      acquire: mean((r) => r.acquireMs),
      write: mean((r) => r.writeMs),
    },
    breakdownMaxMs: {
      detectionLag: max((r) => r.detectionLagMs),
      acquire: max((r) => r.acquireMs),
      write: max((r) => r.writeMs),
    },
    meanAttempts: mean((r) => r.attempts),
  };
}
const expiryAware = summarize(failoverRuns.expiryAware);
const fixedPoll = summarize(failoverRuns.fixedPoll);
const result = {
  benchmark: 'coordination',
  date: new Date().toISOString(),
  target: process.env.AWS_ENDPOINT_URL,
  machine: { cpus: cpus().length, node: process.version },
  idempotency: {
    messages: MESSAGES,
    ...idempotency,
    powertoolsVsNone: ratio(
      idempotency.powertools.requestsPerMessage,
      idempotency.none.requestsPerMessage,
    ),
    transactionalVsNone: ratio(
      idempotency.transactional.requestsPerMessage,
      idempotency.none.requestsPerMessage,
    ),
    transactionalVsPowertools: ratio(
      idempotency.transactional.requestsPerMessage,
      idempotency.powertools.requestsPerMessage,
    ),
  },
  leaseLatency: {
    baselineGetItem: percentiles(getItemBaseline),
    oneContender: { acquire: percentiles(solo.acquire), renew: percentiles(solo.renew) },
    fiftyContenders: {
      contenders: CONTENDERS,
      acquisitions: contended.acquired,
      acquire: percentiles(contended.acquire),
      renew: percentiles(contended.renew),
    },
  },
  failover: {
    leaseDurationMs: FAILOVER_LEASE_MS,
    runs: FAILOVER_RUNS,
    /** The library's wait (`acquireWhenFree`): sleeps until 1 ms after the holder's expiry. */
    expiryAware,
    /** Baseline: a standby polling every 5 % of the duration (the previous bench's loop). */
    fixedPoll: { pollEveryMs: POLL_EVERY_MS, ...fixedPoll },
    maxRatioExpiryAwareVsFixedPoll: ratio(expiryAware.maxRatio, fixedPoll.maxRatio),
    safety:
      'every run: successor token > holder token, holder no longer locally valid at takeover, holder renew refused with LeaseLostError',
  },
};
mkdirSync(dirname(RESULT_FILE), { recursive: true });
writeFileSync(RESULT_FILE, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
console.log(`[bench] wrote ${RESULT_FILE}`);
