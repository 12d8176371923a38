import { build } from 'esbuild';
import { zipFiles } from '#test/integration/support/zip.ts';

const bundles = new Map<string, Promise<Buffer>>();

/**
 * A test handler bundled with its imports (the AWS SDK included) for Node 20 and zipped as
 * `index.js`, ready for CreateFunction; built once per entry and test file.
 *
 * @example
 * const code = await bundledLambdaZip(fileURLToPath(new URL('./handler.ts', import.meta.url)));
 */
export function bundledLambdaZip(entry: string): Promise<Buffer> {
  let zip = bundles.get(entry);
  if (!zip) {
    zip = build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      write: false,
      logLevel: 'silent',
    }).then((result) => zipFiles({ 'index.js': result.outputFiles[0]?.text ?? '' }));
    bundles.set(entry, zip);
  }
  return zip;
}
