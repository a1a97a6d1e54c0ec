/**
 * `score` on documents longer than its window: each window `<file>#<k>` holds the next
 * `--max-length` tokens and is scored on its own, so its log-probs are what PyTorch gives for
 * those tokens as a sequence of their own (checked against the float64 reference of the memorized
 * document's first window, whose prefix is identical).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScoreReport } from '../../src/shared/contracts.ts';
import { chunkTokens } from '../../src/worker/tasks/score.ts';
import { runCli } from './run-cli.ts';

const fixture = (path: string) =>
  fileURLToPath(new URL(`../fixtures/score/${path}`, import.meta.url));

describe('chunkTokens', () => {
  it('cuts into consecutive windows of at most maxLength, losing nothing', () => {
    const ids = Array.from({ length: 10 }, (_, i) => i);
    expect(chunkTokens(ids, 4)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(chunkTokens(ids, 10)).toEqual([ids]);
    expect(chunkTokens([], 4)).toEqual([[]]);
  });
});

describe('nepenthe score --max-length', () => {
  it('scores each window on its own', async () => {
    const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as {
      'llama-bpe': { documents: { id: string; tokenIds: number[]; logprobs: (number | null)[] }[] };
    };
    const memorized = expected['llama-bpe'].documents.find((d) => d.id.startsWith('memorized'))!;
    const { code, stdout, stderr } = await runCli([
      'score',
      fixture('llama-bpe'),
      '--data',
      fixture('docs/memorized.txt'),
      '--max-length',
      '40',
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    const { documents } = ScoreReport.parse(JSON.parse(stdout));
    const n = memorized.tokenIds.length;
    expect(documents.map((d) => d.id)).toEqual(
      Array.from({ length: Math.ceil(n / 40) }, (_, k) => `memorized.txt#${k}`),
    );
    expect(documents.flatMap((d) => d.tokenIds)).toEqual(memorized.tokenIds);
    for (const d of documents) expect(d.logprobs[0]).toBeNull();
    // The first window is the document's first 40 tokens: same log-probs as the whole document's.
    documents[0]!.logprobs.slice(1).forEach((lp, i) => {
      expect(Math.abs(lp! - memorized.logprobs[i + 1]!)).toBeLessThan(2e-3);
    });
    // Later windows start without context: their first predicted token is much less certain
    // than the same token in context (the model memorized this paragraph).
    const second = documents[1]!;
    expect(second.logprobs[1]!).toBeLessThan(memorized.logprobs[41]! - 1);
  }, 300_000);
});
