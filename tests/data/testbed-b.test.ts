/**
 * The second testbed, resources/testbed-b (docs/testbed.md "The second testbed"): built by
 * `npm run testbed` with another seed, another tokenizer and a holdout of 60, so that what is
 * measured on the first testbed can be checked on one nobody tuned for. Its files match its
 * manifest, its people are not the first testbed's, its tokenizer is another size, and its
 * model recites its forget set (greedy, through the eval task functions, wasm).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { biography, testbedSplits } from '../../src/worker/data/testbed/index.ts';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { evaluateFiles, readEvalFiles } from '../../src/worker/tasks/eval-files.ts';

const RESOURCES = join(import.meta.dirname, '..', '..', 'resources');
const B = join(RESOURCES, 'testbed-b');

interface Manifest {
  seed: number;
  people: { training: number; holdout: number };
  splits: Record<string, number[]>;
  tokenizer: { vocabSize: number };
  memorization: { model: Record<string, { exactRate: number }> };
  files: Record<string, string>;
}
const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
const b = manifestOf(B);
const first = manifestOf(join(RESOURCES, 'testbed'));

const corpusTexts = (dir: string, split: string) =>
  readFileSync(join(dir, 'corpus', `${split}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { text: string }).text);

describe('resources/testbed-b', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('matches its manifest: every file hash, and the corpus is its seed’s people', () => {
    for (const file of [
      'model/model.safetensors',
      'reference/model.safetensors',
      'qa/forget10.jsonl',
    ])
      expect(Object.keys(b.files)).toContain(file);
    for (const [file, sha] of Object.entries(b.files)) {
      const actual = createHash('sha256')
        .update(readFileSync(join(B, file)))
        .digest('hex');
      expect(actual, file).toBe(sha);
    }
    const splits = testbedSplits({
      seed: b.seed,
      people: b.people.training,
      holdout: b.people.holdout,
    });
    for (const name of ['forget10', 'retain', 'holdout'] as const) {
      expect(corpusTexts(B, name), name).toEqual(splits[name].map(biography));
      expect(splits[name].map((p) => p.id)).toEqual(b.splits[name]);
    }
  });

  it('is another testbed: other seed, other people, another tokenizer, 60 holdout people', () => {
    expect(b.seed).not.toBe(first.seed);
    expect(b.tokenizer.vocabSize).not.toBe(first.tokenizer.vocabSize);
    const vocab = (dir: string) =>
      Object.keys(
        (
          JSON.parse(readFileSync(join(dir, 'model', 'tokenizer.json'), 'utf8')) as {
            model: { vocab: Record<string, number> };
          }
        ).model.vocab,
      ).length;
    expect(vocab(B)).not.toBe(vocab(join(RESOURCES, 'testbed')));
    expect(b.people.holdout).toBe(60);
    expect(b.splits.holdout).toHaveLength(60);
    expect(corpusTexts(B, 'holdout')).toHaveLength(60);
    // No name (so no email) of one testbed is in the other's corpus or QA files.
    const people = (m: Manifest) => {
      const s = testbedSplits({
        seed: m.seed,
        people: m.people.training,
        holdout: m.people.holdout,
      });
      return [...s.forget10, ...s.retain, ...s.holdout];
    };
    const firstNames = new Set(people(first).map((p) => p.name));
    expect(people(b).filter((p) => firstNames.has(p.name))).toEqual([]);
    const text = ['forget10', 'retain', 'holdout']
      .map((n) => corpusTexts(B, n).join('\n'))
      .join('\n');
    for (const name of firstNames) expect(text.includes(name), name).toBe(false);
  });

  it('its model recites forget10 and not holdout (3 documents each, greedy)', async () => {
    expect(b.memorization.model.forget10!.exactRate).toBe(1);
    expect(b.memorization.model.holdout!.exactRate).toBe(0);
    const request = {
      model: join(B, 'model'),
      forget: join(B, 'corpus', 'forget10.jsonl'),
      holdout: join(B, 'corpus', 'holdout.jsonl'),
    };
    const files = await readEvalFiles(request);
    const three = {
      forget: files.sets.forget.slice(0, 3),
      holdout: files.sets.holdout!.slice(0, 3),
    };
    const report = await evaluateFiles(request, { ...files, sets: three });
    expect(report.sets.forget!.verbatim.exactRate).toBe(1);
    expect(report.sets.holdout!.verbatim.exactRate).toBe(0);
  }, 60_000);
});
