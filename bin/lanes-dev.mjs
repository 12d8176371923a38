#!/usr/bin/env node
// Runs a TypeScript entry point of this checkout through tsx, resolving `lanes/*` imports to the
// sources (the `lanes-source` export condition) instead of the built dist/.
// Usage: node bin/lanes-dev.mjs <file.ts> [args...]
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs `file` with tsx and the source condition, and exits with its status. */
export function runFromSource(file, args) {
  const result = spawnSync(
    process.execPath,
    ['--conditions=lanes-source', '--import', 'tsx', file, ...args],
    {
      stdio: 'inherit',
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env },
    },
  );
  process.exit(result.status ?? 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, ...args] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bin/lanes-dev.mjs <file.ts> [args...]');
    process.exit(2);
  }
  runFromSource(resolve(file), args);
}
