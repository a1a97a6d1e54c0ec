/**
 * One glossary: src/shared/glossary.ts holds every metric description; the report's glossary
 * page and the app's metric cards both take their text from it, and no other source file
 * carries a copy of any description.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EvalReport } from '../../src/shared/contracts.ts';
import { GLOSSARY, describeMetric, glossaryEntries } from '../../src/shared/glossary.ts';
import { METRICS } from '../../src/renderer/src/lib/metrics.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|svelte)$/.test(name) ? [path] : [];
  });
}

describe('the shared glossary', () => {
  it('gives every metric card of the app its meaning', () => {
    const texts = new Set(Object.values(GLOSSARY));
    for (const def of METRICS) expect(texts.has(def.meaning), def.id).toBe(true);
    const fallback = METRICS.find((m) => m.id === 'forgetQuality')!;
    expect(
      fallback.meaningFor!({ forgetQualityDefinition: 'mean-nll-fallback' } as EvalReport),
    ).toBe(GLOSSARY['forgetQuality(fallback:meanNLL)']);
  });

  it('is the report’s glossary: the report has no glossary module of its own', () => {
    expect(existsSync(join(ROOT, 'src/main/report/glossary.ts'))).toBe(false);
    const sections = readFileSync(join(ROOT, 'src/main/report/sections.ts'), 'utf8');
    expect(sections).toMatch(/from '\.\.\/\.\.\/shared\/glossary\.ts'/);
    expect(glossaryEntries(['forget.verbatim.exactRate', 'mia.minK.referenceAuc'])).toEqual([
      ['verbatim.exactRate', GLOSSARY['verbatim.exactRate']],
      ['mia.*.referenceAuc', GLOSSARY['mia.*.referenceAuc']],
    ]);
  });

  it('has no copy of any description elsewhere in src/', () => {
    const own = join(ROOT, 'src/shared/glossary.ts');
    const files = sourceFiles(join(ROOT, 'src')).filter((f) => f !== own);
    expect(files.length).toBeGreaterThan(50);
    const contents = files.map((f) => [f, readFileSync(f, 'utf8')] as const);
    for (const text of Object.values(GLOSSARY)) {
      // The first 40 characters: a copy reworded at its end still counts.
      const head = text.slice(0, 40);
      for (const [file, content] of contents)
        expect(content, `${file}: ${head}`).not.toContain(head);
    }
  });

  it('fails loudly on an unknown key', () => {
    expect(() => describeMetric('no.such.metric')).toThrow(/no glossary entry 'no.such.metric'/);
  });
});
