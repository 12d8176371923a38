/**
 * `lanes workflow show <business key>`: a workflow's status and step history, found by business
 * key in every workflow the lanes constructs describe in the deployed stacks.
 *
 * @example
 * await showWorkflow('order-42');
 */
import { parseArgs } from 'node:util';
import {
  type StepRecord,
  WorkflowHistory,
  type WorkflowReport,
} from '../shared/workflows/history.ts';
import type { Command } from './command.ts';
import { discoverApp } from './discovery.ts';
import { connectToDeployedTarget } from './target.ts';
import { UsageError } from './usage.ts';

export interface ShowWorkflowOptions {
  /** @default console.log */
  readonly print?: (line: string) => void;
  /** State machines to search, name -> ARN. @default - every workflow deployed on the target */
  readonly stateMachines?: Readonly<Record<string, string>>;
  /** @default - a WorkflowHistory on the environment's endpoint */
  readonly history?: WorkflowHistory;
}

async function stateMachinesOnTarget(stacks?: readonly string[]): Promise<Record<string, string>> {
  const { workflows } = await discoverApp({ stacks });
  return Object.fromEntries(
    workflows.map((workflow) => [
      `${workflow.name} (${workflow.stackName})`,
      workflow.stateMachineArn,
    ]),
  );
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
 * Prints the status and step history of every workflow execution for `businessKey`.
 * @returns the number of executions found
 */
export async function showWorkflow(
  businessKey: string,
  options: ShowWorkflowOptions = {},
): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const stateMachines = options.stateMachines ?? (await stateMachinesOnTarget());
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
  }
  return found;
}

export const workflowCommand: Command = {
  name: 'workflow',
  summary: 'status and step history of the workflows of a business key',
  usage: `lanes workflow show <business-key> [--stack NAME]

  Searches every workflow the lanes constructs describe in the deployed stacks (or --stack's).
  Exits 1 when no execution has that business key.`,
  async run(args, print) {
    const [action, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { stack: { type: 'string', multiple: true } },
    });
    const key = positionals[0];
    if (action !== 'show' || !key) {
      throw new UsageError('lanes workflow needs show <business-key>');
    }
    await connectToDeployedTarget();
    const stateMachines = await stateMachinesOnTarget(values.stack);
    const found = await showWorkflow(key, { print, stateMachines });
    return found > 0 ? 0 : 1;
  },
};
