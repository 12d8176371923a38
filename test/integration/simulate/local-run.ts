import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { type EsmMappingStats, resetMappingStats } from '#localstack/esm-stats.ts';
import {
  createMapping,
  createQueue,
  createRecorderFunction,
  createRecordsTable,
  endpoint,
  type Invocation,
  invocations,
  mappingStats,
  peakOverlap,
  Resources,
  sqs,
  type TestQueue,
  waitForProcessed,
} from '#test/integration/event-source-mapping/support/esm.ts';
import type { CalibrationScenario } from './scenarios.ts';

/** One SendMessageBatch as it happened: when it returned, and the groups of its messages. */
export interface SentBatch {
  readonly atMs: number;
  readonly groups: readonly (string | undefined)[];
  readonly bodies: readonly string[];
}

/** What a scenario did on the embedded LocalStack, and the timings measured there. */
export interface LocalRun {
  /** Sends, with times relative to the first send. */
  readonly sends: readonly SentBatch[];
  /** When the burst's sending began (0 without steady traffic). */
  readonly burstAtMs: number;
  /** Invocations, with times relative to the first send. */
  readonly invocations: readonly Invocation[];
  readonly stats: EsmMappingStats;
  readonly timings: LocalTimings;
  readonly outcome: Outcome;
}

/** The local timings the simulator is given. */
export interface LocalTimings {
  /** Handler time per record (the recorder's work, as the machine delivered it). */
  readonly recordMs: number;
  /** Invocation time besides the records: the Invoke round trip minus the handler's own time. */
  readonly invocationMs: number;
  /** A poller's receive and delete calls between two invocations. */
  readonly pollOverheadMs: number;
  /**
   * How long a waiting poller takes to pick up a message: the probes' median time from send to
   * the end of their one-record invocation, less the invocation overhead and the record.
   */
  readonly wakeLatencyMs: number;
  /** Median time between an invocation's end and the same poller's next start (see cycleGaps). */
  readonly medianCycleGapMs: number;
  /** Median time from a probe's send to the end of its invocation, pollers idle. */
  readonly probeLatencyMs: number;
}

/**
 * Time between an invocation's end and the next start on the same poller, per invocation: each
 * start is paired with the latest unpaired end before it (the poller that just became free).
 * Under a backlog this is the mapping's own time per batch (delete, receive, the Invoke call
 * around the handler); a poller that waited for messages shows a long gap, so the median is used.
 */
export function cycleGaps(invocations: readonly { start: number; end: number }[]): number[] {
  const ends = invocations.map((i) => i.end).sort((a, b) => a - b);
  const used = new Array<boolean>(ends.length).fill(false);
  const gaps: number[] = [];
  for (const { start } of [...invocations].sort((a, b) => a.start - b.start)) {
    let best = -1;
    for (let j = ends.length - 1; j >= 0; j--) {
      if ((ends[j] as number) <= start && !used[j]) {
        best = j;
        break;
      }
    }
    if (best < 0) continue;
    used[best] = true;
    gaps.push(start - (ends[best] as number));
  }
  return gaps;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : (sorted[Math.floor(sorted.length / 2)] as number);
};

/** The three figures calibration compares. */
export interface Outcome {
  /** Processed messages per second, from the first send to the last record processed. */
  readonly throughputPerSecond: number;
  readonly peakConcurrency: number;
  /** From the burst's first send until the backlog is back to at most a batch. */
  readonly drainSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Single messages sent to idle pollers before the measured pass. */
const PROBES = 5;

/** Sends `count` messages in batches of 10 (round-robin groups on FIFO), recording each batch. */
async function sendBurst(
  queue: TestQueue,
  scenario: CalibrationScenario,
  count: number,
  tag: string,
  log: SentBatch[],
  epoch: () => number,
): Promise<void> {
  for (let i = 0; i < count; i += 10) {
    const entries = Array.from({ length: Math.min(10, count - i) }, (_, j) => {
      const n = i + j;
      const group = scenario.fifo ? `g${n % (scenario.groups ?? 1)}` : undefined;
      return {
        Id: String(j),
        MessageBody: `${tag}-${n}`,
        ...(group ? { MessageGroupId: group } : {}),
      };
    });
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries }),
    );
    if (Failed.length > 0) throw new Error(`send failed: ${JSON.stringify(Failed)}`);
    log.push({
      atMs: epoch(),
      groups: entries.map((e) => e.MessageGroupId),
      bodies: entries.map((e) => e.MessageBody),
    });
  }
}

/** Backlog (sent and not yet processed) over time, and when it cleared after the burst. */
export function drainOf(
  sends: readonly { atMs: number; count: number }[],
  processedAtMs: readonly number[],
  burstAtMs: number,
  threshold: number,
): number {
  const events = [
    ...sends.map((s) => [s.atMs, s.count] as const),
    ...processedAtMs.map((t) => [t, -1] as const),
  ].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let backlog = 0;
  let peak = 0;
  let peakAt = 0;
  for (const [t, delta] of events) {
    backlog += delta;
    if (t >= burstAtMs && backlog > peak) {
      peak = backlog;
      peakAt = t;
    }
  }
  backlog = 0;
  for (const [t, delta] of events) {
    backlog += delta;
    if (t > peakAt && backlog <= threshold) return (t - burstAtMs) / 1000;
  }
  return Number.NaN;
}

/**
 * Runs a scenario on the embedded LocalStack: a recorder function, a queue, a mapping. A first
 * pass warms the execution environments (local cold starts are process spawns, not Lambda's); the
 * measured pass sends the scenario's traffic, and its figures and the mapping's phase timings are read.
 */
export async function runLocally(scenario: CalibrationScenario, id: string): Promise<LocalRun> {
  const resources = new Resources();
  try {
    const table = await createRecordsTable(resources, `calibration-${id}`);
    const fn = await createRecorderFunction(resources, {
      name: `calibration-${id}`,
      table,
      runId: 'measured',
      workMs: scenario.workMs,
      timeoutSeconds: scenario.functionTimeoutSeconds,
    });
    const queue = await createQueue(resources, `calibration-${id}${scenario.fifo ? '.fifo' : ''}`, {
      VisibilityTimeout: String(scenario.visibilityTimeoutSeconds),
    });
    const uuid = await createMapping(resources, {
      FunctionName: fn,
      EventSourceArn: queue.arn,
      BatchSize: scenario.batchSize,
      ScalingConfig: { MaximumConcurrency: scenario.maximumConcurrency },
    });

    // Warm-up: three batches per execution environment the cap allows, processed and discarded
    // (records go under the same run id, so they are counted and then excluded by time). That
    // starts every environment and scales the mapping to its cap; the whole burst again only
    // made the test longer.
    const warm: SentBatch[] = [];
    const warmStart = Date.now();
    const warmCount = Math.min(
      scenario.burst,
      scenario.maximumConcurrency * scenario.batchSize * 3,
    );
    await sendBurst(queue, scenario, warmCount, 'warm', warm, () => Date.now() - warmStart);
    await waitForProcessed(table, 'measured', warmCount, 300_000);
    await sleep(2_000);
    // Probes: one message at a time to idle (long-polling) pollers, for the wake-up latency.
    const probes: { body: string; atMs: number }[] = [];
    const probeEpoch = Date.now();
    for (let p = 0; p < PROBES; p++) {
      const log: SentBatch[] = [];
      await sendBurst(queue, scenario, 1, `probe${p}`, log, () => Date.now());
      for (const batch of log)
        for (const body of batch.bodies) probes.push({ body: `${body}`, atMs: batch.atMs });
      await sleep(700);
    }
    await waitForProcessed(table, 'measured', warmCount + PROBES, 120_000);
    const probeRecords = (await invocations(table, 'measured')).filter(
      (i) => i.start >= probeEpoch,
    );
    await resetMappingStats(endpoint(), uuid);

    const sends: SentBatch[] = [];
    const started = Date.now();
    const epoch = () => Date.now() - started;
    const base = scenario.base;
    let burstAtMs = 0;
    if (base) {
      // Steady traffic every 100 ms, and the burst at its time.
      const perTick = Math.max(1, Math.round(base.perSecond / 10));
      let burstSent = false;
      for (let tick = 0; tick < base.seconds * 10; tick++) {
        const due = tick * 100;
        const wait = due - epoch();
        if (wait > 0) await sleep(wait);
        await sendBurst(queue, scenario, perTick, `base${tick}`, sends, epoch);
        if (!burstSent && epoch() >= base.burstAtSeconds * 1000) {
          burstSent = true;
          burstAtMs = epoch();
          await sendBurst(queue, scenario, scenario.burst, 'burst', sends, epoch);
        }
      }
    } else {
      await sendBurst(queue, scenario, scenario.burst, 'burst', sends, epoch);
    }
    const total = sends.reduce((n, s) => n + s.groups.length, 0);
    const all = await waitForProcessed(table, 'measured', warmCount + PROBES + total, 600_000);
    const stats = await mappingStats(uuid);
    const measured = all
      .filter((i) => i.start >= started)
      .map((i) => ({ ...i, start: i.start - started, end: i.end - started }));
    const records = measured.reduce((n, i) => n + i.records.length, 0);
    const handlerMs = measured.reduce((n, i) => n + (i.end - i.start), 0);
    // Between two handler runs of a poller the machine spends the cycle gap: the Invoke round trip
    // beyond the handler (executor, runtime, the recorder's write) and the delete and receive
    // calls. The Invoke phase's mean also holds the waits of invocations queued behind others on
    // 2 cores, so the gap bounds it; the rest of the gap is the poll overhead.
    const gap = median(cycleGaps(measured));
    const invokeBeyondHandler = Math.max(
      0,
      (stats.phases.invoke?.meanMs ?? 0) - handlerMs / measured.length,
    );
    const invocationMs = Math.min(invokeBeyondHandler, gap);
    const pollOverheadMs = Math.max(0, gap - invocationMs);
    // A probe: send, wake-up, Invoke and one record; the model's wake-up is what is left.
    const probeSent = new Map(probes.map((p) => [p.body, p.atMs]));
    const probeLatency = median(
      probeRecords.flatMap((i) =>
        i.records
          .filter((r) => probeSent.has(r.body))
          .map((r) => i.end - (probeSent.get(r.body) ?? i.end)),
      ),
    );
    const recordMs = handlerMs / records;
    const timings: LocalTimings = {
      recordMs,
      invocationMs,
      pollOverheadMs,
      wakeLatencyMs: Math.max(0, probeLatency - invocationMs - recordMs),
      medianCycleGapMs: gap,
      probeLatencyMs: probeLatency,
    };
    const processedAt = measured.flatMap((i) =>
      i.records.filter((r) => r.outcome === 'processed').map(() => i.end),
    );
    const lastProcessed = Math.max(...processedAt);
    const outcome: Outcome = {
      throughputPerSecond: processedAt.length / (lastProcessed / 1000),
      peakConcurrency: peakOverlap(measured),
      drainSeconds: drainOf(
        sends.map((s) => ({ atMs: s.atMs, count: s.groups.length })),
        processedAt,
        burstAtMs,
        scenario.batchSize,
      ),
    };
    return { sends, burstAtMs, invocations: measured, stats, timings, outcome };
  } finally {
    await resources.release();
  }
}
