import { describe, expect, it } from 'vitest';
import { runCli } from '#cli/lanes.ts';
import { validateScaling } from '#cli/scale.ts';

/** Runs the CLI in-process and returns its exit status and what it printed. */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(
    argv,
    (line) => out.push(line),
    (line) => err.push(line),
  );
  return { status, out: out.join('\n'), err: err.join('\n') };
}

describe('lanes CLI', () => {
  it('prints its version', async () => {
    const { status, out } = await cli('--version');
    expect(status).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('lists the commands with --help, and exits 2 when no command is given', async () => {
    expect((await cli('--help')).out).toMatch(/deploy .*\n.*watch/s);
    expect((await cli()).status).toBe(2);
  });

  it.each(['localstack', 'deploy', 'watch', 'scale', 'dlq', 'workflow', 'plan'])(
    'prints the usage of %s with --help and -h, and does nothing else',
    async (command) => {
      const long = await cli(command, '--help');
      const short = await cli(command, '-h');
      expect(long.status).toBe(0);
      expect(long.out).toMatch(new RegExp(`^lanes ${command}`));
      expect(short.out).toBe(long.out);
      expect(long.err).toBe('');
    },
  );

  it('never deploys for deploy --help, even with other options', async () => {
    const { status, out } = await cli('deploy', '--stack', 'Anything', '--help');
    expect(status).toBe(0);
    expect(out).not.toMatch(/\[deploy\]|\[localstack\]/);
  });

  it.each([
    [['scale'], /lanes scale needs --reserved N and\/or --max-concurrency N/],
    [
      ['scale', 'orders', '--max-concurrency', '1'],
      /--max-concurrency must be an integer between 2 and 1000 \(given "1"\)/,
    ],
    [['watch', '--bogus'], /Unknown option '--bogus'/],
    [['watch', '--interval', '0.1'], /--interval must be at least 0.5 seconds \(given 0.1\)/],
    [['dlq', 'purge'], /lanes dlq needs list or redrive \(given purge\)/],
    [
      ['dlq', 'list', '--worker', 'orders', '--ingress', 'Ingress'],
      /name one of --worker, --ingress and --schedule \(given worker, ingress\)/,
    ],
    [
      ['dlq', 'redrive', '--ingress', 'Ingress'],
      /redrive works on a worker's DLQ \(given --ingress\)/,
    ],
    [['workflow', 'show'], /lanes workflow needs show <business-key>/],
    [['localstack', 'restart'], /needs setup, start, status or stop \(given restart\)/],
    [['plan', '--rate', '10'], /lanes plan needs --rate and --processing-ms/],
    [
      ['plan', '--rate=-1', '--processing-ms', '10'],
      /--rate must be a positive number \(given "-1"\)/,
    ],
  ])('exits 2 with the usage on a usage error: %j', async (argv, message) => {
    const { status, err } = await cli(...argv);
    expect(status).toBe(2);
    expect(err).toMatch(message);
    expect(err).toMatch(new RegExp(`usage: lanes ${argv[0]}`));
  });

  it('exits 2 on an unknown command, naming it', async () => {
    const { status, err } = await cli('launch');
    expect(status).toBe(2);
    expect(err).toMatch(/Unknown command: launch/);
  });
});

describe('validateScaling', () => {
  it('refuses a reservation below the maximum concurrency, with the fix', () => {
    expect(validateScaling({ reserved: 4 }, { maxConcurrency: 10 })).toEqual([
      expect.stringMatching(
        /reserved concurrency 4 is below the mapping's maximum concurrency 10.*at least 10/,
      ),
    ]);
  });

  it('accepts raising both together', () => {
    expect(
      validateScaling(
        { reserved: 20, maxConcurrency: 20 },
        { reservedConcurrency: 10, maxConcurrency: 10 },
      ),
    ).toEqual([]);
  });
});
