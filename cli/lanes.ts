/**
 * `lanes`: run the embedded LocalStack, deploy, and operate the workers and workflows of any app
 * built with the lanes constructs (found from the deployed stacks, not from a list).
 *
 * @example
 * npx lanes localstack start
 * npx lanes watch --count 1
 * npx lanes scale orders --reserved 20 --max-concurrency 10
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PACKAGE_ROOT } from '../embedded-localstack/settings.ts';
import { LanesError } from '../shared/errors.ts';
import { canaryCommand } from './canary.ts';
import type { Command } from './command.ts';
import { deployCommand } from './deploy-command.ts';
import { dlqCommand } from './dlq.ts';
import { drainCommand, resumeCommand } from './drain.ts';
import { localstackCommand } from './localstack-command.ts';
import { watchCommand } from './ops.ts';
import { planCommand } from './plan.ts';
import { scaleCommand } from './scale.ts';
import { simulateCommand } from './simulate.ts';
import { UsageError } from './usage.ts';
import { workflowCommand } from './workflow.ts';

const COMMANDS: readonly Command[] = [
  localstackCommand,
  deployCommand,
  watchCommand,
  scaleCommand,
  drainCommand,
  resumeCommand,
  canaryCommand,
  dlqCommand,
  workflowCommand,
  planCommand,
  simulateCommand,
];

function version(): string {
  const manifest = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8'));
  return String(manifest.version);
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'lanes <command> [options]     (lanes <command> --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Target: the embedded LocalStack on 127.0.0.1:4566 (LANES_LOCALSTACK_PORT moves it) unless',
    'AWS_ENDPOINT_URL or LANES_ENDPOINT_URL names another endpoint, or LANES_TARGET=aws selects AWS.',
    '  --version   print the lanes version',
  ].join('\n');
}

/**
 * Runs the CLI with `argv` (without node and the script) and resolves to the exit status:
 * 0 success, 1 failure (the error says why and how to fix it), 2 usage error (with the usage).
 */
export async function runCli(
  argv: readonly string[],
  print: (line: string) => void = (line) => console.log(line),
  printError: (line: string) => void = (line) => console.error(line),
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    print(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    print(version());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    printError(`Unknown command: ${name}\n\n${usage()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    print(command.usage);
    return 0;
  }
  try {
    return await command.run(args, print);
  } catch (error) {
    // parseArgs throws TypeErrors with a code for unknown options and missing values.
    const code = (error as { code?: string }).code ?? '';
    if (error instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) {
      printError(`${(error as Error).message}\n\nusage: ${command.usage}`);
      return 2;
    }
    printError(error instanceof LanesError ? `${error.name}: ${error.message}` : String(error));
    if (!(error instanceof LanesError) && error instanceof Error && error.stack) {
      printError(error.stack);
    }
    return 1;
  }
}
