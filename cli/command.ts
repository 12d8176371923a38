/** Where a command writes: lines for people (stdout). Injected so tests can read them. */
export type Print = (line: string) => void;

/** One `lanes` subcommand: its usage text and what it does. */
export interface Command {
  readonly name: string;
  /** One line for `lanes --help`. */
  readonly summary: string;
  /** Full usage, printed by `lanes <command> --help` and on a usage error. */
  readonly usage: string;
  /** Runs the command with the arguments after its name; resolves to the exit status. */
  readonly run: (args: string[], print: Print) => Promise<number>;
}
