#!/usr/bin/env node
// The `lanes` command. From the installed package it runs the built CLI (dist/cli/main.js) on
// plain Node; in a checkout of the lanes repository (sources present, no build) it runs the
// TypeScript sources through tsx, so no build step is needed while developing.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The SDK warns that Node 20 support ends in 2027 (Lambda declares Node 22); its own switch.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const source = resolve(root, 'cli', 'main.ts');
if (existsSync(source)) {
  const { runFromSource } = await import('./lanes-dev.mjs');
  runFromSource(source, process.argv.slice(2));
} else {
  await import(resolve(root, 'dist', 'cli', 'main.js'));
}
