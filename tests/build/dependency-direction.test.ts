/**
 * DESIGN.md §2's direction for the two browser-side parts, checked on the source (eslint holds
 * the same rule for .ts files, but does not read .svelte): the renderer imports only src/shared
 * and npm packages, never main, worker, cli, preload, electron or Node; the preload imports only
 * electron and src/shared.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './built-app.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|svelte)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;
  return [...text.matchAll(pattern)].map((match) => match[1] ?? '');
}

/** Where in src/ a relative import lands ('shared', 'main', …), or the bare specifier. */
function target(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const [top] = relative(join(root, 'src'), resolve(dirname(file), specifier)).split(/[\\/]/);
  return `src/${top}`;
}

describe('dependency direction', () => {
  it('the renderer imports only src/shared, itself and browser packages', () => {
    const files = sourceFiles(join(root, 'src/renderer'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files)
      for (const specifier of importsOf(file)) {
        const where = target(file, specifier);
        expect(where, `${relative(root, file)} imports ${specifier}`).not.toMatch(
          /^(src\/(main|worker|cli|preload)$|electron($|\/)|node:)/,
        );
      }
  });

  it('the preload imports only electron and src/shared', () => {
    for (const file of sourceFiles(join(root, 'src/preload')))
      for (const specifier of importsOf(file))
        expect(
          ['electron', 'src/shared'],
          `${relative(root, file)} imports ${specifier}`,
        ).toContain(target(file, specifier));
  });
});
