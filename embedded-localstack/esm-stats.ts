import { LanesError } from '../shared/errors.ts';

/** Path of the lanes event source mapping's figures on the embedded LocalStack's gateway. */
export const ESM_STATS_PATH = '/_lanes/event-source-mappings';

/** Raised when the figures cannot be read; the message names the endpoint and the status. */
export class EsmStatsError extends LanesError {
  override name = 'EsmStatsError';
}

/** Live figures of one SQS event source mapping (see embedded-localstack/esm/lanes_esm/stats.py). */
export interface EsmMappingStats {
  readonly uuid: string;
  readonly functionArn: string;
  readonly eventSourceArn: string;
  readonly fifo: boolean;
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
  readonly maximumConcurrency: number | null;
  readonly provisionedPollerConfig: { MinimumPollers?: number; MaximumPollers?: number } | null;
  readonly reportBatchItemFailures: boolean;
  readonly scaling: {
    readonly mode: 'standard' | 'provisioned';
    readonly initial: number;
    readonly floor: number;
    readonly ceiling: number;
    readonly scaleUpPerMinute: number;
  };
  readonly running: boolean;
  /** Concurrent batches the mapping may have in flight now. */
  readonly targetConcurrency: number;
  readonly pollers: number;
  readonly backlog: boolean;
  /** Invocations in flight now. */
  readonly concurrency: number;
  readonly peakConcurrency: number;
  /**
   * `[seconds since since, concurrency]` each time a new peak was reached: the ramp as the
   * mapping saw it, independent of how often a client samples.
   */
  readonly peakTimeline: ReadonlyArray<readonly [number, number]>;
  readonly invocations: number;
  readonly throttles: number;
  readonly functionErrors: number;
  readonly receives: number;
  readonly emptyReceives: number;
  readonly receiveErrors: number;
  readonly messages: number;
  readonly lastThrottleAt: number | null;
  /** Epoch seconds since which the counters count (start, or the last reset). */
  readonly since: number;
  /**
   * Time per phase as the mapping sees it: `receive` (non-empty receive calls), `queued` (per
   * message: from SentTimestamp to its receive), `invoke` (Lambda round trip), `delete`.
   */
  readonly phases: Partial<Record<'receive' | 'queued' | 'invoke' | 'delete', TimingFigure>>;
}

export interface EsmStatsDocument {
  readonly localstackVersion: string;
  readonly settings: Record<string, number>;
  readonly mappings: readonly EsmMappingStats[];
}

async function request(url: string, method: 'GET' | 'POST'): Promise<Response> {
  try {
    return await fetch(url, { method, signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new EsmStatsError(
      `Cannot reach ${url} (${(error as Error).message}): is the embedded LocalStack running?`,
      { cause: error },
    );
  }
}

/**
 * Reads the figures of every SQS event source mapping from `endpoint`, or `undefined` when the
 * endpoint has no lanes mapping (LocalStack in Docker, AWS): only the embedded LocalStack has it.
 *
 * @example
 * const doc = await readEsmStats('http://127.0.0.1:4566');
 * for (const m of doc?.mappings ?? []) console.log(m.uuid, m.concurrency, m.throttles);
 */
export async function readEsmStats(endpoint: string): Promise<EsmStatsDocument | undefined> {
  const url = `${endpoint.replace(/\/$/, '')}${ESM_STATS_PATH}`;
  const response = await request(url, 'GET');
  if (response.status === 404) return undefined;
  if (!response.ok) {
    throw new EsmStatsError(`GET ${url} answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as EsmStatsDocument;
}

/** The figures of one mapping; fails with the UUID when the mapping has not run. */
export async function readMappingStats(endpoint: string, uuid: string): Promise<EsmMappingStats> {
  const url = `${endpoint.replace(/\/$/, '')}${ESM_STATS_PATH}/${uuid}`;
  const response = await request(url, 'GET');
  if (!response.ok) {
    throw new EsmStatsError(`GET ${url} answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as EsmMappingStats;
}

/** Starts a new measurement of one mapping: counters and peak count from now. */
export async function resetMappingStats(endpoint: string, uuid: string): Promise<EsmMappingStats> {
  const url = `${endpoint.replace(/\/$/, '')}${ESM_STATS_PATH}/${uuid}/reset`;
  const response = await request(url, 'POST');
  if (!response.ok) {
    throw new EsmStatsError(`POST ${url} answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as EsmMappingStats;
}

/** Count, total and mean of one timed thing (milliseconds). */
export interface TimingFigure {
  readonly count: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly maxMs?: number;
}

/**
 * Server-side time on the embedded LocalStack since the last reset: per AWS operation
 * (`operations.<service>.<Operation>`) and per function execution (`functions.functions.<arn>`).
 */
export interface LocalStackTimings {
  readonly operations: { readonly since: number } & Record<string, Record<string, TimingFigure>>;
  /**
   * Executions per function (`functions`), and the DynamoDB calls functions made to DynamoDB
   * Local directly, per operation and function (`dynamodb.<Operation>`).
   */
  readonly functions: { readonly since: number } & Record<string, Record<string, TimingFigure>>;
}

/** Reads (or, with `reset`, restarts) the embedded LocalStack's timings; undefined elsewhere. */
export async function readTimings(
  endpoint: string,
  options: { reset?: boolean } = {},
): Promise<LocalStackTimings | undefined> {
  const url = `${endpoint.replace(/\/$/, '')}/_lanes/timings${options.reset ? '/reset' : ''}`;
  const response = await request(url, options.reset ? 'POST' : 'GET');
  if (response.status === 404) return undefined;
  if (!response.ok) {
    throw new EsmStatsError(`${url} answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as LocalStackTimings;
}

/** The function name in a Lambda ARN (qualified or not), or the name itself. */
const functionNameOf = (nameOrArn: string): string =>
  nameOrArn.includes(':function:')
    ? (nameOrArn.split(':function:')[1]?.split(':')[0] ?? nameOrArn)
    : nameOrArn;

/**
 * One function's figure in a group of `timings.functions` (`functions`, `dynamodb.<Operation>`),
 * by its name or ARN (qualified or not; the timings are keyed by unqualified ARN).
 *
 * @example
 * const commits = functionTiming(timings, 'dynamodb.TransactWriteItems', 'orders-worker');
 */
export function functionTiming(
  timings: LocalStackTimings | undefined,
  group: string,
  functionNameOrArn: string,
): TimingFigure | undefined {
  const name = functionNameOf(functionNameOrArn);
  return Object.entries(timings?.functions[group] ?? {}).find(
    ([arn]) => functionNameOf(arn) === name,
  )?.[1];
}
