#!/usr/bin/env node
// Launcher for the TypeScript CLI (cli/lanes.ts), run through tsx so no build step is needed.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const result = spawnSync(
  process.execPath,
  [
    '--disable-warning=NodeVersionSupportWarning',
    '--import',
    'tsx',
    resolve(root, 'cli', 'lanes.ts'),
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
