/** Entry point of the `lanes` command (bin/lanes.mjs runs it): runs the CLI and exits with its status. */
import { runCli } from './lanes.ts';

process.exit(await runCli(process.argv.slice(2)));
