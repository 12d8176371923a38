import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The dependency rules of the layout: the reference app (examples/orders) uses lanes only
 * through the package's public entry points, exactly as an outside app would, and the library
 * never reaches into the reference app or the tests.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const LIBRARY = ['infra', 'functions', 'shared', 'cli', 'embedded-localstack'];
const APP = 'examples/orders';
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const ENTRY_POINTS = new Set(
  Object.keys(manifest.exports as Record<string, unknown>)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => `lanes${subpath.slice(1)}`),
);
const SPECIFIER = /(?:from\s+|import\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts)$/.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

function imports(file: string): string[] {
  // Doc comments show imports in their examples; only code counts.
  const text = readFileSync(join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(SPECIFIER)].map((match) => match[1] as string);
}

/** Where a relative specifier lands, as a repository path. */
function target(file: string, specifier: string): string {
  return relative(ROOT, resolve(ROOT, dirname(file), specifier));
}

describe('layout', () => {
  it('lets the reference app import lanes only through its public entry points', () => {
    const violations = sources(APP).flatMap((file) =>
      imports(file)
        .filter((specifier) =>
          specifier.startsWith('#')
            ? true
            : specifier.startsWith('.')
              ? !target(file, specifier).startsWith(`${APP}/`)
              : specifier.startsWith('lanes') && !ENTRY_POINTS.has(specifier),
        )
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(violations).toEqual([]);
  });

  it('keeps the library free of imports from the reference app and the tests', () => {
    const violations = LIBRARY.flatMap(sources).flatMap((file) =>
      imports(file)
        .filter((specifier) => {
          if (
            specifier.startsWith('#') ||
            specifier === 'lanes' ||
            specifier.startsWith('lanes/')
          ) {
            return true; // the library uses relative paths, so dist/ is self-contained
          }
          if (!specifier.startsWith('.')) return false;
          const landing = target(file, specifier);
          return landing.startsWith('examples/') || landing.startsWith('test/');
        })
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(violations).toEqual([]);
  });

  it('finds the imports it checks (the scan is not vacuous)', () => {
    expect(sources(APP).length).toBeGreaterThan(20);
    expect(imports(`${APP}/functions/orders-worker.ts`)).toContain('lanes/runtime');
  });
});
