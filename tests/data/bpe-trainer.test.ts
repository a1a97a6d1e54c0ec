import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BYTE_SYMBOLS,
  END_OF_TEXT,
  trainByteLevelBpe,
  writeTokenizerFolder,
} from '../../src/worker/data/bpe-trainer.ts';
import { loadTokenizer } from '../../src/worker/model/tokenizer.ts';

const CORPUS = [
  'The archive keeps every letter the harbour office ever received. Some letters are short and ',
  'some are long; most of them ask about ships, tides, and the weather over the northern banks. ',
  'The keeper of the archive reads them twice, files them by date, and writes a short answer. ',
  'In winter the office is cold, and the keeper wears two coats while reading the letters.',
].join('');

const ROUND_TRIP = [
  CORPUS,
  'Unseen words: zephyr, quixotic, 1234567, ünïcödé, 日本語, emoji 🙂👍🏽, tabs\tand\nnewlines  ',
  "Contractions: don't, it's, we've, they'll, I'm, she'd.",
  '   ',
  '',
];

function trainedFolder(texts: string[], vocabSize: number): string {
  const folder = join(mkdtempSync(join(tmpdir(), 'nepenthe-bpe-')), 'tok');
  writeTokenizerFolder(folder, trainByteLevelBpe(texts, { vocabSize }), 64);
  return folder;
}

describe('trainByteLevelBpe', () => {
  it('learns the most frequent pair first, ties to the pair that sorts first', () => {
    // Words: "hug" " hug" " hug" " pug" " pun" " bun"; a space is the byte symbol "Ġ".
    // Counts: u·g 4 → then h·ug 3 → then u·n, Ġ·hug, Ġ·p at 2 ("u" < "Ġ", "h" < "p").
    const trained = trainByteLevelBpe(['hug hug hug pug pun bun'], { vocabSize: 1000 });
    expect(trained.merges).toEqual([
      ['u', 'g'],
      ['h', 'ug'],
      ['u', 'n'],
      ['Ġ', 'hug'],
      ['Ġ', 'p'],
    ]);
    // Nothing else occurs twice: training stops below the target size.
    expect(trained.vocabSize).toBe(256 + 5 + 1);
    expect(trained.specialTokens).toEqual([{ id: 261, content: END_OF_TEXT }]);
    expect(trained.tokens.slice(0, 256)).toEqual(BYTE_SYMBOLS);
  });

  it('never learns across a special token written in the text', () => {
    const trained = trainByteLevelBpe([`ab${END_OF_TEXT}ab${END_OF_TEXT}ab`], { vocabSize: 300 });
    expect(trained.merges).toEqual([['a', 'b']]);
  });

  it('refuses a target with no room for the bytes and special tokens', () => {
    expect(() => trainByteLevelBpe(['abc'], { vocabSize: 256 })).toThrow(RangeError);
  });
});

describe('the tokenizer folder it writes', () => {
  it('loads with @huggingface/tokenizers, reaches the target size and round-trips any text', () => {
    const tokenizer = loadTokenizer(trainedFolder([CORPUS], 300));
    expect(tokenizer.vocabSize).toBe(300);
    expect(tokenizer.eosId).toBe(299);
    expect(tokenizer.bosId).toBe(299);
    expect(tokenizer.addsBos).toBe(false);
    for (const text of ROUND_TRIP) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    expect(tokenizer.encode(`end${END_OF_TEXT}`).at(-1)).toBe(299);
    // 43 merges learned from 363 bytes already bring the text to about half a token per byte.
    expect(tokenizer.encode(CORPUS).length).toBeLessThan(0.6 * Buffer.byteLength(CORPUS));
  });

  it('encodes training words with the merges it learned', () => {
    const trained = trainByteLevelBpe(['hug hug hug pug pun bun'], { vocabSize: 1000 });
    const folder = join(mkdtempSync(join(tmpdir(), 'nepenthe-bpe-')), 'tok');
    writeTokenizerFolder(folder, trained, 64);
    const tokenizer = loadTokenizer(folder);
    const id = (token: string) => trained.tokens.indexOf(token);
    expect(tokenizer.encode('hug hug pun')).toEqual([id('hug'), id('Ġhug'), id('Ġp'), id('un')]);
  });

  it('is byte-for-byte deterministic', () => {
    const a = trainedFolder([CORPUS], 300);
    const b = trainedFolder([CORPUS], 300);
    for (const name of ['tokenizer.json', 'tokenizer_config.json']) {
      expect(readFileSync(join(a, name))).toEqual(readFileSync(join(b, name)));
    }
  });
});
