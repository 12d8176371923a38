#!/usr/bin/env node
// Launcher for the TypeScript CLI (cli/lanes.ts), run through tsx so no build step is needed.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', resolve(root, 'cli', 'lanes.ts'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    // The SDK warns that Node 20 support ends in 2027 (Lambda declares Node 22); its own switch.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env },
  },
);
process.exit(result.status ?? 1);
