import { fileURLToPath } from 'node:url';
import type { LanesFunctionProps } from 'lanes/constructs';

/**
 * How the reference app's functions are built. They import lanes from this checkout's sources
 * (the `lanes-source` export condition) rather than from a built dist/, and are bundled for
 * Node 20: the embedded LocalStack runs functions as local processes on the machine's Node
 * (20 here), whatever runtime they declare. An app that installs lanes needs neither.
 */
export const referenceFunctionProps: LanesFunctionProps = {
  bundling: {
    target: 'node20',
    esbuildArgs: { '--conditions': 'lanes-source' },
    minify: true,
  },
};

/** Path of a handler file of the reference app (`examples/orders/functions/<name>.ts`). */
export const functionEntry = (name: string): string =>
  fileURLToPath(new URL(`../functions/${name}.ts`, import.meta.url));
