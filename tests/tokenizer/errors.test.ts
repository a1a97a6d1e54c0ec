/** Bad tokenizer files are the user's to fix: a UserInputError naming the file and the fix. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/shared/errors.ts';
import { loadTokenizer } from '../../src/worker/model/tokenizer.ts';

/** A minimal valid byte-free BPE tokenizer: four letters and one merge. */
const TINY_JSON = {
  version: '1.0',
  added_tokens: [
    {
      id: 4,
      content: '</s>',
      special: true,
      normalized: false,
      lstrip: false,
      rstrip: false,
      single_word: false,
    },
  ],
  normalizer: null,
  pre_tokenizer: null,
  post_processor: null,
  decoder: null,
  model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, c: 3, '</s>': 4 }, merges: ['a b'] },
};

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nepenthe-tok-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function errorOf(load: () => unknown): UserInputError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(UserInputError);
    return error as UserInputError;
  }
  throw new Error('expected a UserInputError');
}

describe('loadTokenizer on bad folders', () => {
  it('names a missing tokenizer.json', () => {
    const dir = folderWith({});
    const error = errorOf(() => loadTokenizer(dir));
    expect(error.path).toBe(join(dir, 'tokenizer.json'));
    expect(error.message).toMatch(/missing tokenizer\.json; save the tokenizer/);
  });

  it('names a folder that does not exist', () => {
    const dir = join(tmpdir(), 'nepenthe-no-such-folder', 'model');
    expect(errorOf(() => loadTokenizer(dir)).path).toBe(join(dir, 'tokenizer.json'));
  });

  it('reports invalid JSON', () => {
    const dir = folderWith({ 'tokenizer.json': '{"model": ' });
    const error = errorOf(() => loadTokenizer(dir));
    expect(error.path).toBe(join(dir, 'tokenizer.json'));
    expect(error.message).toMatch(/invalid JSON/);
  });

  it('reports JSON that is not a tokenizer', () => {
    for (const text of [
      '[1, 2]',
      '{"architectures": ["GPT2LMHeadModel"]}',
      '{"model": {"type": "BPE"}, "added_tokens": 7}',
    ]) {
      const dir = folderWith({ 'tokenizer.json': text });
      const error = errorOf(() => loadTokenizer(dir));
      expect(error.path).toBe(join(dir, 'tokenizer.json'));
      expect(error.message).toMatch(/not a Hugging Face tokenizer\.json|must hold a JSON object/);
    }
  });

  it('reports a tokenizer model or component the library cannot run', () => {
    const unknownModel = { ...TINY_JSON, model: { type: 'Mystery', vocab: {} } };
    const dir = folderWith({ 'tokenizer.json': JSON.stringify(unknownModel) });
    expect(errorOf(() => loadTokenizer(dir)).message).toMatch(
      /"model.type": must be one of BPE, WordPiece, Unigram/,
    );
    const unknownPart = { ...TINY_JSON, pre_tokenizer: { type: 'Mystery' } };
    const other = folderWith({ 'tokenizer.json': JSON.stringify(unknownPart) });
    const error = errorOf(() => loadTokenizer(other));
    expect(error.path).toBe(join(other, 'tokenizer.json'));
    expect(error.message).toMatch(
      /not a tokenizer this app can run \(Unknown PreTokenizer type: Mystery\)/,
    );
  });

  it('names a broken tokenizer_config.json', () => {
    const dir = folderWith({
      'tokenizer.json': JSON.stringify(TINY_JSON),
      'tokenizer_config.json': '{oops',
    });
    const error = errorOf(() => loadTokenizer(dir));
    expect(error.path).toBe(join(dir, 'tokenizer_config.json'));
    expect(error.message).toMatch(/invalid JSON/);
  });

  it('names a tokenizer_config.json whose special token is not in the vocabulary', () => {
    const config = JSON.stringify({ bos_token: '<s>' });
    const dir = folderWith({
      'tokenizer.json': JSON.stringify(TINY_JSON),
      'tokenizer_config.json': config,
    });
    const error = errorOf(() => loadTokenizer(dir));
    expect(error.path).toBe(join(dir, 'tokenizer_config.json'));
    expect(error.message).toMatch(/bos_token "<s>" is not in the vocabulary/);
  });

  it('names a config that asks for a BOS it does not define', () => {
    const config = JSON.stringify({ add_bos_token: true });
    const dir = folderWith({
      'tokenizer.json': JSON.stringify(TINY_JSON),
      'tokenizer_config.json': config,
    });
    expect(errorOf(() => loadTokenizer(dir)).message).toMatch(
      /add_bos_token is true but no bos_token is set/,
    );
  });
});

describe('loadTokenizer on minimal folders', () => {
  it('works without tokenizer_config.json, and reads AddedToken-style special tokens', () => {
    const dir = folderWith({ 'tokenizer.json': JSON.stringify(TINY_JSON) });
    const plain = loadTokenizer(dir);
    expect(plain.bosId).toBeNull();
    expect(plain.encode('abc')).toEqual([2, 3]);
    expect(plain.vocabSize).toBe(5);

    const withConfig = join(dir, 'with-config');
    mkdirSync(withConfig);
    writeFileSync(join(withConfig, 'tokenizer.json'), JSON.stringify(TINY_JSON));
    const eos = {
      __type: 'AddedToken',
      content: '</s>',
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
    };
    writeFileSync(
      join(withConfig, 'tokenizer_config.json'),
      JSON.stringify({ eos_token: eos, add_eos_token: true }),
    );
    const framed = loadTokenizer(withConfig);
    expect(framed.eosId).toBe(4);
    expect(framed.encode('abc')).toEqual([2, 3, 4]);
  });
});
