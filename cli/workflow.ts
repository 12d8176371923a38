/**
 * `lanes workflow show <business key>`: a workflow's status and step history, found by business
 * key in the reference workflows of Lanes-Workflows (direct and queue-dispatched).
 *
 * @example
 * await showWorkflow('order-42');
 */

import {
  type StepRecord,
  WorkflowHistory,
  type WorkflowReport,
} from '../shared/workflows/history.ts';
import { readOutputs } from './deploy.ts';

/** The state machines the command searches, by label, from the Lanes-Workflows outputs. */
const WORKFLOW_OUTPUT_KEYS = {
  'order-fulfilment (direct)': 'DirectStateMachineArn',
  'order-fulfilment (queue)': 'QueuedStateMachineArn',
} as const;

export interface ShowWorkflowOptions {
  /** @default console.log */
  readonly print?: (line: string) => void;
  /** State machines to search, label -> ARN. @default - from the deployed Lanes-Workflows outputs */
  readonly stateMachines?: Readonly<Record<string, string>>;
  /** @default - a WorkflowHistory on the environment's endpoint */
  readonly history?: WorkflowHistory;
}

function stateMachinesFromOutputs(): Record<string, string> {
  const outputs = readOutputs()['Lanes-Workflows'];
  if (!outputs) {
    throw new Error(
      'Lanes-Workflows has no outputs in .lanes/outputs.json: deploy it first (npm run deploy).',
    );
  }
  const found: Record<string, string> = {};
  for (const [label, key] of Object.entries(WORKFLOW_OUTPUT_KEYS)) {
    const arn = outputs[key];
    if (arn) found[label] = arn;
  }
  return found;
}

function time(date: Date | undefined): string {
  return date ? date.toISOString() : '-';
}

function stepLine(step: StepRecord): string {
  const took =
    step.enteredAt && step.exitedAt
      ? ` ${step.exitedAt.getTime() - step.enteredAt.getTime()} ms`
      : '';
  const attempts = step.attempts > 1 ? ` (${step.attempts} attempts)` : '';
  const error = step.error ? `  ${step.error}: ${oneLine(step.cause ?? '')}` : '';
  return `  ${time(step.enteredAt)}  ${step.name.padEnd(26)} ${step.type.padEnd(9)} ${step.status}${took}${attempts}${error}`;
}

function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Formats a report as the lines `lanes workflow show` prints. */
export function formatWorkflowReport(label: string, report: WorkflowReport): string[] {
  const lines = [
    `${label}: ${report.executionName}`,
    `  status   ${report.status}`,
    `  started  ${time(report.startDate)}`,
    `  stopped  ${time(report.stopDate)}`,
    `  arn      ${report.executionArn}`,
  ];
  if (report.error) lines.push(`  reason   ${report.error}: ${oneLine(report.cause ?? '')}`);
  lines.push('  steps:');
  for (const step of report.steps) lines.push(stepLine(step));
  return lines;
}

/**
 * Prints the status and step history of every reference workflow execution for `businessKey`.
 * Sets `process.exitCode = 1` when none is found.
 */
export async function showWorkflow(
  businessKey: string,
  options: ShowWorkflowOptions = {},
): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const stateMachines = options.stateMachines ?? stateMachinesFromOutputs();
  const history = options.history ?? new WorkflowHistory();
  let found = 0;
  for (const [label, arn] of Object.entries(stateMachines)) {
    const report = await history.find(arn, businessKey);
    if (!report) continue;
    found += 1;
    for (const line of formatWorkflowReport(label, report)) print(line);
  }
  if (found === 0) {
    print(
      `No workflow found for business key ${businessKey} in ${Object.keys(stateMachines).join(', ') || 'no state machine'}.`,
    );
    process.exitCode = 1;
  }
}
