import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { resolveTarget } from '#localstack/lifecycle.ts';
import { PROJECT_ROOT } from '#localstack/settings.ts';

/** Where every scenario of the fault suite records its figures. */
export const FAULTS_RESULTS_FILE = resolve(PROJECT_ROOT, 'test', 'bench', 'results', 'faults.json');

/** The figures of one fault scenario. */
export interface FaultResult {
  readonly scenario: string;
  /** What was done to the system. */
  readonly fault: string;
  /** Events (or triggers, or writes) the scenario sent. */
  readonly sent: number;
  /** Distinct events whose effect is in place at the end. */
  readonly processed: number;
  /** How many times an effect was applied (counters, not items: a double application shows). */
  readonly effectsApplied: number;
  /** effectsApplied - processed: effects applied more than once. */
  readonly duplicates: number;
  /** Sent events neither applied nor in a dead-letter queue. */
  readonly lost: number;
  /** Sent events in a dead-letter queue at the end (poison and timed-out records belong there). */
  readonly inDlq: number;
  /** Of those, how many the scenario put there on purpose. */
  readonly expectedInDlq: number;
  /** From the fault until every effect (and expected dead letter) was in place; null if none. */
  readonly recoverySeconds: number | null;
  /** Scenario-specific figures (deliveries, throttles, tokens...). */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly notes?: string;
}

interface FaultsFile {
  suite: 'faults';
  updatedAt: string;
  target: string;
  machine: { cpus: number; node: string };
  scenarios: Record<string, FaultResult & { recordedAt: string }>;
}

/**
 * Merges one scenario's figures into `test/bench/results/faults.json` by scenario name, so each
 * test file records its own scenarios and a partial run keeps the others' last figures.
 *
 * @example
 * recordFault({ scenario: 'worker-killed-mid-batch', fault: 'SIGKILL', sent: 200, ... });
 */
export function recordFault(result: FaultResult): void {
  const target = resolveTarget();
  const previous: FaultsFile | undefined = existsSync(FAULTS_RESULTS_FILE)
    ? (JSON.parse(readFileSync(FAULTS_RESULTS_FILE, 'utf8')) as FaultsFile)
    : undefined;
  const now = new Date().toISOString();
  const scenarios = { ...previous?.scenarios, [result.scenario]: { ...result, recordedAt: now } };
  const file: FaultsFile = {
    suite: 'faults',
    updatedAt: now,
    target: target.kind === 'aws' ? 'aws' : target.endpoint,
    machine: { cpus: cpus().length, node: process.version },
    scenarios: Object.fromEntries(Object.entries(scenarios).sort(([a], [b]) => a.localeCompare(b))),
  };
  mkdirSync(dirname(FAULTS_RESULTS_FILE), { recursive: true });
  writeFileSync(FAULTS_RESULTS_FILE, `${JSON.stringify(file, null, 2)}\n`);
}
