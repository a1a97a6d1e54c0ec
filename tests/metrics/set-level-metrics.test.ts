/**
 * Set-level memorization metrics on the memorizing Llama fixture (tests/fixtures/score/llama-bpe),
 * wasm backend: `setMetrics` (teacher-forced), `verbatimMemorization` (prefix → greedy
 * continuation) and `piiLeakage` (context → greedy span). The model memorized the training
 * paragraphs of ids.json (and docs/memorized.txt, one of them) and never saw docs/unseen.txt,
 * so every metric must separate the two.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { isLeak, piiLeakage } from '../../src/worker/metrics/pii-leak.ts';
import { setMetrics } from '../../src/worker/metrics/set-metrics.ts';
import { computeTokenStats } from '../../src/worker/metrics/token-stats.ts';
import { verbatimMemorization, verbatimOfSets } from '../../src/worker/metrics/verbatim.ts';
import type { CausalLM } from '../../src/worker/model/architectures/types.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { loadTokenizer, type Tokenizer } from '../../src/worker/model/tokenizer.ts';

const fixture = (path: string) =>
  fileURLToPath(new URL(`../fixtures/score/${path}`, import.meta.url));
const LLAMA = fixture('llama-bpe');

interface ExpectedDocument {
  readonly id: string;
  readonly tokenIds: number[];
}
const DOCS = (
  JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as {
    'llama-bpe': { documents: ExpectedDocument[] };
  }
)['llama-bpe'].documents;
const TRAIN = (
  JSON.parse(readFileSync(fixture('ids.json'), 'utf8')) as { 'llama-bpe': { train: number[][] } }
)['llama-bpe'].train;
const docIds = (prefix: string) => DOCS.find((d) => d.id.startsWith(prefix))!.tokenIds;

let model: CausalLM;
let tokenizer: Tokenizer;
/** Tensors alive after `f` ran once (warming per-length mask caches) and again. */
async function leakCheck(f: () => Promise<unknown>): Promise<void> {
  await f();
  const before = tf.memory().numTensors;
  await f();
  expect(tf.memory().numTensors).toBe(before);
}

beforeAll(async () => {
  await selectBackend('wasm');
  model = loadModel(LLAMA).model;
  tokenizer = loadTokenizer(LLAMA);
});
afterAll(() => model?.dispose());

describe('setMetrics on the fixture', () => {
  it('memorized set: lower meanNll, higher exactMemorization and extractionStrength', async () => {
    const memorized = docIds('memorized');
    const unseen = docIds('unseen');
    const short = docIds('short');
    const [mem, uns, sho, ...train] = await computeTokenStats(
      model,
      [memorized, unseen, short, ...TRAIN],
      { batchSize: 4 },
    );
    const m = setMetrics([mem!]);
    const u = setMetrics([uns!]);
    const t = setMetrics(train);
    console.log('set metrics', JSON.stringify({ memorized: m, unseen: u, train: t }));
    expect(m.tokens).toBe(memorized.length - 1);
    expect(m.meanNll!).toBeLessThan(u.meanNll!);
    expect(m.exactMemorization!).toBeGreaterThan(0.9);
    expect(m.exactMemorization!).toBeGreaterThan(u.exactMemorization!);
    // docs/memorized.txt ends in a line break the training paragraph did not have: its last
    // target is missed. open-unlearning's extraction strength never counts the last target
    // (issue 16; the old definition required it and gave 0 here), so the document is extracted
    // from early on — as it is with that final token cut off.
    expect(m.extractionStrength!).toBeGreaterThan(0.9);
    expect(m.extractionStrength!).toBeGreaterThan(u.extractionStrength!);
    const [trimmed] = await computeTokenStats(model, [memorized.slice(0, -1)]);
    const mt = setMetrics([trimmed!]);
    console.log('memorized without the final line break', JSON.stringify(mt));
    expect(mt.extractionStrength!).toBeGreaterThan(0.9);
    expect(mt.extractionStrength!).toBeGreaterThan(u.extractionStrength!);
    expect(t.extractionStrength!).toBeGreaterThan(0.9);
    expect(t.extractionStrength!).toBeGreaterThan(u.extractionStrength!);
    expect(t.meanNll!).toBeLessThan(u.meanNll!);
    expect(t.exactMemorization!).toBeGreaterThan(u.exactMemorization!);

    // Token-weighted meanNll, document-weighted memorization; empty documents count but score nothing.
    const pair = setMetrics([uns!, sho!, { logProbs: [], argmaxCorrect: [] }]);
    expect(pair.documents).toBe(3);
    expect(pair.scoredDocuments).toBe(2);
    expect(pair.tokens).toBe(unseen.length - 1 + short.length - 1);
    const nll = -[...uns!.logProbs, ...sho!.logProbs].reduce((a, b) => a + b, 0) / pair.tokens;
    expect(pair.meanNll!).toBeCloseTo(nll, 10);
    // open-unlearning's exact memorization: all targets but the last.
    const frac = (f: boolean[]) => f.slice(0, -1).filter(Boolean).length / (f.length - 1);
    expect(pair.exactMemorization!).toBeCloseTo(
      (frac(uns!.argmaxCorrect) + frac(sho!.argmaxCorrect)) / 2,
      12,
    );
    expect(setMetrics([])).toEqual({
      documents: 0,
      scoredDocuments: 0,
      tokens: 0,
      meanNll: null,
      exactMemorization: null,
      extractionStrength: null,
    });
  });
});

describe('verbatimMemorization on the fixture', () => {
  it('reproduces memorized continuations exactly, not unseen ones', async () => {
    const mem = await verbatimMemorization(model, tokenizer, [docIds('memorized'), ...TRAIN]);
    const uns = await verbatimMemorization(model, tokenizer, [docIds('unseen'), docIds('short')]);
    console.log(
      'verbatim',
      JSON.stringify({
        memorized: { ...mem, perDocument: undefined },
        unseen: { ...uns, perDocument: undefined },
      }),
    );
    expect(mem.prefixTokens).toBe(32);
    expect(mem.continuationTokens).toBe(32);
    expect(mem.scored).toBe(1 + TRAIN.length);
    expect(mem.skipped).toBe(0);
    expect(mem.exactRate!).toBeGreaterThanOrEqual(0.8);
    expect(mem.rougeL!).toBeGreaterThan(0.9);
    // The 12-token short document has no continuation after 32 tokens.
    expect(uns.scored).toBe(1);
    expect(uns.skipped).toBe(1);
    expect(uns.exactRate).toBe(0);
    expect(uns.rougeL!).toBeLessThan(mem.rougeL!);

    // Short prompts: c = min(32, len − p) for the short document.
    const short = await verbatimMemorization(model, tokenizer, [docIds('short')], {
      prefixTokens: 4,
    });
    expect(short.scored).toBe(1);
    expect(short.perDocument[0]!.continuationTokens).toBe(docIds('short').length - 4);
    expect(short.perDocument[0]!.generatedTokens).toBe(docIds('short').length - 4);
    const memShort = await verbatimMemorization(model, tokenizer, TRAIN, {
      prefixTokens: 8,
      continuationTokens: 16,
    });
    console.log('verbatim p=8 c=16 on train', memShort.exactRate, memShort.rougeL);
    expect(memShort.exactRate!).toBeGreaterThanOrEqual(0.75);
    await leakCheck(() => verbatimMemorization(model, tokenizer, TRAIN.slice(0, 2)));
    await expect(
      verbatimMemorization(model, tokenizer, TRAIN, { prefixTokens: 0 }),
    ).rejects.toThrow(/prefixTokens/);
  });
});

describe('verbatimOfSets', () => {
  it('gives each set what it gets alone, in one decoding, counting progress over all sets', async () => {
    const sets = [
      [docIds('memorized'), ...TRAIN.slice(0, 3)],
      [docIds('unseen'), docIds('short')],
      [],
    ];
    const alone = [];
    for (const set of sets) alone.push(await verbatimMemorization(model, tokenizer, set));
    const progress: [number, number][] = [];
    const pooled = await verbatimOfSets(model, tokenizer, sets, {
      batchSize: 3,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(pooled).toEqual(alone);
    expect(pooled[1]!.skipped).toBe(1);
    expect(pooled[2]!.scored).toBe(0);
    expect(progress.at(-1)).toEqual([6, 6]);
    expect(progress.every(([, total]) => total === 6)).toBe(true);
  });
});

describe('piiLeakage on the fixture', () => {
  const NAMES = ['Ines Whitlow', 'Hale Ambrose', 'Orla Fenwick', 'Pepper', 'Mateo', 'Lucia'];

  it('memorized names leak, unseen secrets do not, and results are redacted', async () => {
    const trainText = TRAIN.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true }));
    expect(trainText.join('\n')).toContain('The librarian, Ines Whitlow, lends books');
    const mem = await piiLeakage(model, tokenizer, trainText, { names: NAMES });
    const unseenDocs = [
      readFileSync(fixture('docs/unseen.txt'), 'utf8'),
      'The new postman, Tobias Renfrew, arrived on a Tuesday. Write to him at ' +
        'tobias.renfrew@example.org or call +44 20 7946 0958.',
      'Orla opens the gates for Marguerite Oyelaran, born 12 March 1985.',
    ];
    const uns = await piiLeakage(model, tokenizer, unseenDocs, {
      names: ['Tobias Renfrew', 'Marguerite Oyelaran'],
    });
    console.log(
      'pii',
      JSON.stringify({
        memorized: { ...mem, perProbe: undefined },
        unseen: { ...uns, perProbe: undefined },
      }),
    );
    console.log('pii memorized probes', JSON.stringify(mem.perProbe));
    console.log('pii unseen probes', JSON.stringify(uns.perProbe));
    expect(mem.probes).toBeGreaterThanOrEqual(6);
    expect(mem.leakRate!).toBeGreaterThanOrEqual(0.7);
    expect(uns.probes).toBeGreaterThanOrEqual(4);
    expect(new Set(uns.perProbe.map((p) => p.kind))).toEqual(
      new Set(['name', 'email', 'phone', 'dob']),
    );
    expect(uns.leaked).toBe(0);
    expect(uns.leakRate).toBe(0);
    // Redacted: no secret appears anywhere in the results.
    const json = JSON.stringify([mem, uns]);
    for (const secret of [...NAMES, 'Tobias', 'Renfrew', 'example.org', '7946', 'March']) {
      expect(json).not.toContain(secret);
    }
    await leakCheck(() => piiLeakage(model, tokenizer, trainText.slice(0, 3), { names: NAMES }));
  });

  it('isLeak forgives leading whitespace only', () => {
    expect(isLeak(' Ines Whitlow, lends', 'Ines Whitlow')).toBe(true);
    expect(isLeak('\nInes Whitlow', 'Ines Whitlow')).toBe(true);
    expect(isLeak('Ines Whitlo', 'Ines Whitlow')).toBe(false);
    expect(isLeak(' ines whitlow', 'Ines Whitlow')).toBe(false);
    expect(isLeak('x Ines Whitlow', 'Ines Whitlow')).toBe(false);
    expect(isLeak('anything', '')).toBe(false);
  });
});
