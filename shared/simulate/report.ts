import type { SeriesRow, SimulationRun } from './engine.ts';
import { AWS } from './limits.ts';

/** Cost of a run at list prices (docs/aws-limits.md, "Prices"), USD. */
export interface CostEstimate {
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly sqsRequests: number;
  readonly dynamodbWrites: number;
  readonly eventBridge: number;
  readonly total: number;
}

/** What one worker did. */
export interface WorkerSummary {
  readonly name: string;
  /** Settings changed by the workload's whatIf (`maxConcurrency 10 -> 50`). */
  readonly whatIf: readonly string[];
  readonly settings: {
    readonly queue: 'fifo' | 'standard';
    readonly batchSize: number;
    readonly batchingWindowSeconds: number;
    readonly maxConcurrency: number | undefined;
    readonly reservedConcurrency: number | undefined;
    readonly provisionedPollers: string | undefined;
    readonly visibilityTimeoutSeconds: number;
    readonly maxReceiveCount: number | undefined;
    readonly timeoutSeconds: number;
  };
  readonly messages: {
    readonly sent: number;
    readonly processed: number;
    readonly skipped: number;
    /** Moved to the DLQ by the redrive policy (maxReceiveCount receives, e.g. throttled ones). */
    readonly deadLetteredByRedrive: number;
    /** Dead-lettered by the lanes runtime on a record's last receive. */
    readonly deadLetteredByRuntime: number;
    /** Failed records deleted because the mapping does not report batch item failures. */
    readonly lostFailures: number;
    /** Still in the queue (or in flight) when the run ended. */
    readonly remaining: number;
  };
  /** Processed messages per second: mean from the first send to the last deletion, and peak. */
  readonly throughputPerSecond: { readonly mean: number; readonly peak: number };
  /** Seconds from the last message sent until the queue was empty; undefined: not drained. */
  readonly drainSeconds: number | undefined;
  /** Seconds from the first message sent until the queue was empty; undefined: not drained. */
  readonly completionSeconds: number | undefined;
  /** Send to deletion, seconds. */
  readonly dwellSeconds: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
  readonly peakConcurrency: number;
  readonly peakBacklog: number;
  /**
   * The largest backlog episode: when the backlog peaked, and when it was back to at most a batch
   * (or 1 % of the peak); undefined when it never was. This is "how long the spike took to drain".
   */
  readonly backlogEpisode:
    | {
        readonly peakAtSeconds: number;
        readonly startedAtSeconds: number;
        readonly clearedAtSeconds: number | undefined;
      }
    | undefined;
  readonly peakAgeSeconds: number;
  readonly invocations: number;
  readonly throttles: number;
  readonly coldStarts: number;
  readonly timeouts: number;
  readonly recordFailures: number;
  readonly duplicates: number;
  readonly sendThrottles: number;
  readonly keyPolicy: {
    readonly skipped: number;
    readonly postponed: number;
    readonly requeued: number;
  };
  readonly dynamodb:
    | {
        readonly partitions: number;
        readonly throttledRecords: number;
        readonly hottestPartition: number;
        readonly hottestPartitionPeakUnits: number;
      }
    | undefined;
  readonly cost: CostEstimate;
}

/** The summary `lanes simulate` prints and writes. */
export interface SimulationSummary {
  readonly simulatedSeconds: number;
  readonly producersStopSeconds: number;
  readonly drained: boolean;
  readonly perEvent: boolean;
  readonly events: number;
  readonly wallSeconds: number;
  readonly workers: readonly WorkerSummary[];
  readonly cost: CostEstimate;
}

const round = (value: number, digits = 3) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/**
 * Summarizes a run: per worker throughput, drain time, dwell percentiles, peaks, throttles, DLQ
 * arrivals and a cost estimate from list prices.
 *
 * @example
 * const summary = summarize(runSimulation(app, workload));
 * summary.workers[0]?.drainSeconds;
 */
export function summarize(run: SimulationRun): SimulationSummary {
  const { parts } = run;
  const prices = AWS.prices;
  const workers = parts.workers.map((w): WorkerSummary => {
    const s = w.stats;
    const eff = w.settings;
    const rows = run.series.filter((r) => r.worker === w.name);
    const remaining = w.queue.backlog + w.queue.inFlight + w.unsent;
    const drainedAt = remaining === 0 && run.drained ? s.lastDoneMs : undefined;
    const activeMs = Math.max(
      1,
      (s.lastDoneMs || run.simulatedMs) - (Number.isFinite(s.firstSentMs) ? s.firstSentMs : 0),
    );
    const fn = w.fn;
    // The function's duration cost is shared by its sources in proportion to their invocations.
    const share = fn.invocations === 0 ? 0 : s.invocations / fn.invocations;
    const gbPrice = fn.settings.arm ? prices.lambdaPerGbSecondArm : prices.lambdaPerGbSecondX86;
    const sqsCalls =
      s.sendCalls +
      s.receiveCalls +
      w.emptyReceives(run.simulatedMs) +
      s.deleteCalls +
      s.changeVisibilityCalls +
      s.deadLettered;
    const table = w.behaviour.table;
    let hottest = 0;
    if (table)
      for (let p = 1; p < table.partitions; p++)
        if ((table.peakUnits[p] as number) > (table.peakUnits[hottest] as number)) hottest = p;
    const cost = {
      lambdaRequests: (s.invocations / 1e6) * prices.lambdaPerMillionRequests,
      lambdaDuration: fn.gbSeconds * share * gbPrice,
      sqsRequests:
        (sqsCalls / 1e6) *
        (eff.fifo ? prices.sqsFifoPerMillionRequests : prices.sqsStandardPerMillionRequests),
      dynamodbWrites: (s.writeUnits / 1e6) * prices.dynamodbOnDemandPerMillionWriteUnits,
      eventBridge: 0,
    };
    return {
      name: w.name,
      whatIf: parts.whatIf.get(w.name) ?? [],
      settings: {
        queue: eff.fifo ? 'fifo' : 'standard',
        batchSize: eff.batchSize,
        batchingWindowSeconds: eff.batchingWindowMs / 1000,
        maxConcurrency: eff.maxConcurrency,
        reservedConcurrency: fn.settings.reservedConcurrency,
        provisionedPollers: eff.provisioned
          ? `${eff.provisioned.minimumPollers}..${eff.provisioned.maximumPollers}`
          : undefined,
        visibilityTimeoutSeconds: eff.visibilityTimeoutMs / 1000,
        maxReceiveCount: eff.maxReceiveCount,
        timeoutSeconds: eff.timeoutMs / 1000,
      },
      messages: {
        sent: s.sent,
        processed: s.processed,
        skipped: s.skipped,
        deadLetteredByRedrive: s.redriven,
        deadLetteredByRuntime: s.deadLettered,
        lostFailures: s.lostFailures,
        remaining,
      },
      throughputPerSecond: {
        mean: round(s.processed / (activeMs / 1000), 1),
        peak: round(Math.max(0, ...rows.map((r) => r.throughputPerSecond)), 1),
      },
      drainSeconds:
        drainedAt === undefined ? undefined : round(Math.max(0, drainedAt - s.lastSentMs) / 1000),
      completionSeconds:
        drainedAt === undefined || !Number.isFinite(s.firstSentMs)
          ? undefined
          : round((drainedAt - s.firstSentMs) / 1000),
      dwellSeconds: {
        p50: round(s.dwell.percentile(0.5) / 1000),
        p99: round(s.dwell.percentile(0.99) / 1000),
        max: round(s.dwell.max / 1000),
        mean: round(s.dwell.mean / 1000),
      },
      peakConcurrency: s.peakExecuting,
      peakBacklog: Math.max(0, ...rows.map((r) => r.backlog)),
      backlogEpisode: episodeOf(rows, eff.batchSize),
      peakAgeSeconds: round(Math.max(0, ...rows.map((r) => r.oldestAgeSeconds)), 1),
      invocations: s.invocations,
      throttles: s.throttles,
      coldStarts: s.coldStarts,
      timeouts: s.timeouts,
      recordFailures: s.recordFailures,
      duplicates: s.duplicates,
      sendThrottles: s.sendThrottles,
      keyPolicy: { skipped: s.skipped, postponed: s.postponed, requeued: s.requeued },
      dynamodb: table
        ? {
            partitions: table.partitions,
            throttledRecords: s.dynamoThrottledRecords,
            hottestPartition: hottest,
            hottestPartitionPeakUnits: table.peakUnits[hottest] as number,
          }
        : undefined,
      cost: {
        ...cost,
        total: cost.lambdaRequests + cost.lambdaDuration + cost.sqsRequests + cost.dynamodbWrites,
      },
    };
  });
  let eventBridgeEvents = 0;
  for (const p of parts.producers) if (p.via === 'eventbridge') eventBridgeEvents += p.sentMessages;
  const sum = (pick: (c: CostEstimate) => number) => workers.reduce((a, w) => a + pick(w.cost), 0);
  const eventBridge = (eventBridgeEvents / 1e6) * prices.eventBridgePerMillionEvents;
  const cost = {
    lambdaRequests: sum((c) => c.lambdaRequests),
    lambdaDuration: sum((c) => c.lambdaDuration),
    sqsRequests: sum((c) => c.sqsRequests),
    dynamodbWrites: sum((c) => c.dynamodbWrites),
    eventBridge,
    total: sum((c) => c.total) + eventBridge,
  };
  return {
    simulatedSeconds: round(run.simulatedMs / 1000, 1),
    producersStopSeconds: round(run.producersStopMs / 1000, 1),
    drained: run.drained,
    perEvent: run.perEvent,
    events: run.events,
    wallSeconds: round(run.wallMs / 1000, 2),
    workers,
    cost,
  };
}

function episodeOf(rows: readonly SeriesRow[], batchSize: number): WorkerSummary['backlogEpisode'] {
  let peak = 0;
  for (let i = 1; i < rows.length; i++)
    if ((rows[i] as SeriesRow).backlog > (rows[peak] as SeriesRow).backlog) peak = i;
  const top = rows[peak];
  if (!top || top.backlog === 0) return undefined;
  const threshold = Math.max(batchSize, 0.01 * top.backlog);
  let start = peak;
  while (start > 0 && (rows[start - 1] as SeriesRow).backlog > threshold) start--;
  let end = peak;
  while (end < rows.length && (rows[end] as SeriesRow).backlog > threshold) end++;
  return {
    peakAtSeconds: top.t,
    startedAtSeconds: start > 0 ? (rows[start - 1] as SeriesRow).t : 0,
    clearedAtSeconds: end < rows.length ? (rows[end] as SeriesRow).t : undefined,
  };
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (n: number) => `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;
/** Seconds for people: `48 ms`, `65.5 s`, `12.3 min`, or `not drained`. */
export function formatSeconds(s: number | undefined): string {
  if (s === undefined) return 'not drained';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 600) return `${s.toFixed(1)} s`;
  return `${(s / 60).toFixed(1)} min`;
}
const seconds = formatSeconds;

/** The summary as the lines `lanes simulate` prints. */
export function formatSummary(summary: SimulationSummary): string[] {
  const lines: string[] = [];
  lines.push(
    `simulated ${summary.simulatedSeconds} s (producers until ${summary.producersStopSeconds} s)${summary.drained ? '' : ', NOT DRAINED at the drain limit'} in ${summary.wallSeconds} s wall, ${count(summary.events)} events${summary.perEvent ? ' (per-event mode)' : ''}`,
  );
  for (const w of summary.workers) {
    const s = w.settings;
    lines.push('');
    lines.push(
      `${w.name}  ${s.queue} batch ${s.batchSize}${s.batchingWindowSeconds ? ` window ${s.batchingWindowSeconds} s` : ''}, maxConcurrency ${s.maxConcurrency ?? 'none'}, reserved ${s.reservedConcurrency ?? 'none'}${s.provisionedPollers ? `, pollers ${s.provisionedPollers}` : ''}, visibility ${s.visibilityTimeoutSeconds} s, maxReceiveCount ${s.maxReceiveCount ?? 'none'}, timeout ${s.timeoutSeconds} s`,
    );
    if (w.whatIf.length > 0) lines.push(`  what-if        ${w.whatIf.join('; ')}`);
    const m = w.messages;
    lines.push(
      `  messages       ${count(m.sent)} sent, ${count(m.processed)} processed, ${count(m.remaining)} left${m.skipped ? `, ${count(m.skipped)} skipped (busy key)` : ''}`,
    );
    lines.push(
      `  throughput     ${count(w.throughputPerSecond.mean)}/s mean, ${count(w.throughputPerSecond.peak)}/s peak`,
    );
    lines.push(
      `  drain time     ${seconds(w.drainSeconds)} after the last send (${seconds(w.completionSeconds)} from the first)`,
    );
    lines.push(
      `  dwell time     p50 ${seconds(w.dwellSeconds.p50)}, p99 ${seconds(w.dwellSeconds.p99)}, peak ${seconds(w.dwellSeconds.max)}`,
    );
    lines.push(
      `  peaks          concurrency ${w.peakConcurrency}, backlog ${count(w.peakBacklog)}, oldest message ${seconds(w.peakAgeSeconds)}`,
    );
    const episode = w.backlogEpisode;
    if (episode)
      lines.push(
        `  backlog        peaked at ${seconds(episode.peakAtSeconds)}; ${episode.clearedAtSeconds === undefined ? 'not cleared by the end' : `cleared at ${seconds(episode.clearedAtSeconds)}, ${seconds(episode.clearedAtSeconds - episode.startedAtSeconds)} after it began`}`,
      );
    lines.push(
      `  invocations    ${count(w.invocations)} (${count(w.coldStarts)} cold), throttles ${count(w.throttles)}, timeouts ${count(w.timeouts)}, failed records ${count(w.recordFailures)}`,
    );
    lines.push(
      `  DLQ arrivals   ${count(m.deadLetteredByRedrive + m.deadLetteredByRuntime)} (${count(m.deadLetteredByRedrive)} by the redrive policy, ${count(m.deadLetteredByRuntime)} by the runtime)${m.lostFailures ? `; ${count(m.lostFailures)} failed records deleted (ReportBatchItemFailures off)` : ''}`,
    );
    if (w.sendThrottles)
      lines.push(
        `  send throttles ${count(w.sendThrottles)} messages over the FIFO quota (resent later)`,
      );
    if (w.keyPolicy.postponed || w.keyPolicy.requeued)
      lines.push(
        `  key policy     ${count(w.keyPolicy.postponed)} postponed, ${count(w.keyPolicy.requeued)} requeued`,
      );
    if (w.dynamodb)
      lines.push(
        `  DynamoDB       ${w.dynamodb.partitions} partitions, hottest #${w.dynamodb.hottestPartition} at ${count(w.dynamodb.hottestPartitionPeakUnits)} WCU/s, ${count(w.dynamodb.throttledRecords)} records throttled`,
      );
    if (w.duplicates)
      lines.push(
        `  duplicates     ${count(w.duplicates)} records processed after their visibility timeout ended`,
      );
    lines.push(
      `  cost           ${usd(w.cost.total)} (Lambda ${usd(w.cost.lambdaRequests + w.cost.lambdaDuration)}, SQS ${usd(w.cost.sqsRequests)}${w.cost.dynamodbWrites ? `, DynamoDB ${usd(w.cost.dynamodbWrites)}` : ''})`,
    );
  }
  lines.push('');
  lines.push(
    `cost estimate  ${usd(summary.cost.total)} at us-east-1 list prices (Lambda ${usd(summary.cost.lambdaRequests + summary.cost.lambdaDuration)}, SQS ${usd(summary.cost.sqsRequests)}, DynamoDB ${usd(summary.cost.dynamodbWrites)}, EventBridge ${usd(summary.cost.eventBridge)})`,
  );
  return lines;
}

/** The time series as CSV (one row per worker and sample). */
export function seriesCsv(rows: readonly SeriesRow[]): string {
  const columns = [
    't',
    'worker',
    'arrivalsPerSecond',
    'throughputPerSecond',
    'backlog',
    'inFlight',
    'concurrency',
    'peakConcurrency',
    'mappingConcurrency',
    'oldestAgeSeconds',
    'throttles',
    'recordFailures',
    'deadLetters',
    'coldStarts',
  ] as const;
  const cell = (v: string | number) =>
    typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : v;
  return `${columns.join(',')}\n${rows.map((r) => columns.map((c) => cell(r[c])).join(',')).join('\n')}\n`;
}
