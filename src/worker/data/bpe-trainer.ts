/**
 * A deterministic byte-level BPE trainer, GPT-2 style (Radford et al. 2019, §2.2; Sennrich et al.
 * 2016 for BPE itself), that writes a real Hugging Face tokenizer folder.
 *
 * Text is split with GPT-2's pre-tokenizer regex (the one the ByteLevel pre-tokenizer applies at
 * encode time, so training and encoding see the same words), each word becomes UTF-8 bytes shown
 * as GPT-2's printable byte symbols, and the most frequent adjacent symbol pair is merged until
 * the vocabulary reaches its target. Every byte is a symbol from the start, so any text encodes and
 * decodes back exactly. Ties in frequency go to the pair that sorts first (left symbol, then right,
 * by UTF-16 code units), so the same text always gives the same merges.
 *
 * Ids: 0–255 are the bytes in byte order, then the merges in the order learned, then the special
 * tokens (like GPT-2, whose `<|endoftext|>` is the last id).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const END_OF_TEXT = '<|endoftext|>';

/** GPT-2's split regex (encoder.py `pat`), as @huggingface/tokenizers' ByteLevel uses it. */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's byte → symbol table (encoder.py `bytes_to_unicode`): printable Latin-1 bytes stand for
 * themselves, the other 68 are shifted to U+0100 onward, so no symbol is whitespace or a control.
 */
export const BYTE_SYMBOLS: readonly string[] = (() => {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const symbols: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    symbols.push(String.fromCharCode(printable(b) ? b : 256 + shifted++));
  }
  return symbols;
})();

export interface BpeTrainingOptions {
  /** Target size: 256 byte symbols + merges + special tokens. */
  readonly vocabSize: number;
  /** Added after the merges, in this order; default `<|endoftext|>`. */
  readonly specialTokens?: readonly string[];
  /** A pair seen fewer times is never merged (training may stop below `vocabSize`); default 2. */
  readonly minFrequency?: number;
}

export interface TrainedBpe {
  /** Token string (byte symbols) for each id below the special tokens. */
  readonly tokens: readonly string[];
  readonly merges: readonly (readonly [string, string])[];
  readonly specialTokens: readonly { readonly id: number; readonly content: string }[];
  readonly vocabSize: number;
}

/** Splits on the special tokens, then into GPT-2 words, counted as byte-symbol strings. */
function countWords(texts: Iterable<string>, specials: readonly string[]): Map<string, number> {
  const encoder = new TextEncoder();
  const escaped = specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const specialSplit = escaped.length > 0 ? new RegExp(escaped.join('|'), 'u') : null;
  const counts = new Map<string, number>();
  for (const text of texts) {
    const pieces = specialSplit === null ? [text] : text.split(specialSplit);
    for (const piece of pieces) {
      for (const match of piece.matchAll(GPT2_SPLIT)) {
        let word = '';
        for (const byte of encoder.encode(match[0])) word += BYTE_SYMBOLS[byte]!;
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/** Byte symbols never contain a space, so "left right" names a pair unambiguously. */
const pairKey = (left: string, right: string) => `${left} ${right}`;

interface Candidate {
  readonly count: number;
  readonly key: string;
}

/** Higher count first; equal counts: the key (left, then right symbol) that sorts first. */
const before = (a: Candidate, b: Candidate) =>
  a.count !== b.count ? a.count > b.count : a.key < b.key;

/** A binary max-heap of candidate pairs; entries go stale as counts change and are skipped. */
class PairHeap {
  private readonly items: Candidate[] = [];

  push(item: Candidate): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): Candidate | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && before(items[l]!, items[best]!)) best = l;
        if (r < items.length && before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

/** Learns merges from `texts` (each a document; no word spans two documents). */
export function trainByteLevelBpe(
  texts: Iterable<string>,
  options: BpeTrainingOptions,
): TrainedBpe {
  const specials = options.specialTokens ?? [END_OF_TEXT];
  const minFrequency = options.minFrequency ?? 2;
  const maxMerges = options.vocabSize - 256 - specials.length;
  if (!Number.isInteger(maxMerges) || maxMerges < 0) {
    throw new RangeError(
      `vocabSize ${options.vocabSize} leaves no room for 256 bytes + ${specials.length} special tokens`,
    );
  }

  const words = [...countWords(texts, specials)].map(([word, count]) => ({
    symbols: Array.from(word),
    count,
  }));
  const pairCounts = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1, touched: Set<string>) => {
    const { symbols, count } = words[w]!;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * count);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (set === undefined) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
      touched.add(key);
    }
  };

  const heap = new PairHeap();
  const initial = new Set<string>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);
  for (const key of initial) heap.push({ key, count: pairCounts.get(key)! });

  const tokens = [...BYTE_SYMBOLS];
  const merges: [string, string][] = [];
  while (merges.length < maxMerges) {
    const top = heap.pop();
    if (top === undefined || top.count < minFrequency) break;
    if (pairCounts.get(top.key) !== top.count) continue; // stale entry
    const split = top.key.indexOf(' ');
    const left = top.key.slice(0, split);
    const right = top.key.slice(split + 1);
    const merged = left + right;
    merges.push([left, right]);
    tokens.push(merged);

    const touched = new Set<string>();
    for (const w of pairWords.get(top.key) ?? []) {
      addPairs(w, -1, touched);
      const old = words[w]!.symbols;
      const next: string[] = [];
      for (let i = 0; i < old.length; i++) {
        if (i + 1 < old.length && old[i] === left && old[i + 1] === right) {
          next.push(merged);
          i++;
        } else {
          next.push(old[i]!);
        }
      }
      words[w]!.symbols = next;
      addPairs(w, 1, touched);
    }
    pairWords.delete(top.key);
    for (const key of touched) {
      const count = pairCounts.get(key)!;
      if (count > 0) heap.push({ key, count });
      else pairCounts.delete(key);
    }
  }

  const specialTokens = specials.map((content, i) => ({ id: tokens.length + i, content }));
  return { tokens, merges, specialTokens, vocabSize: tokens.length + specials.length };
}

const BYTE_LEVEL = {
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: true,
};

/** The `tokenizers` serialization (tokenizer.json) of a trained byte-level BPE. */
export function toTokenizerJson(trained: TrainedBpe): Record<string, unknown> {
  // No prototype: a learned token may well be spelled "__proto__".
  const vocab = Object.create(null) as Record<string, number>;
  trained.tokens.forEach((token, id) => (vocab[token] = id));
  for (const { id, content } of trained.specialTokens) vocab[content] = id;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: trained.specialTokens.map(({ id, content }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: BYTE_LEVEL,
    // ByteLevel post-processing only trims offsets: GPT-2 frames a text with nothing.
    post_processor: { ...BYTE_LEVEL, trim_offsets: false },
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: trained.merges,
    },
  };
}

/** One special token as tokenizer_config.json's `added_tokens_decoder` lists it. */
export function addedTokenEntry(content: string): Record<string, unknown> {
  return {
    content,
    lstrip: false,
    normalized: false,
    rstrip: false,
    single_word: false,
    special: true,
  };
}

/** The `transformers` side (tokenizer_config.json): GPT-2's conventions, no BOS added. */
export function toTokenizerConfig(
  trained: TrainedBpe,
  modelMaxLength: number,
): Record<string, unknown> {
  const endOfText = trained.specialTokens.find((t) => t.content === END_OF_TEXT)?.content ?? null;
  const decoder: Record<string, unknown> = {};
  for (const { id, content } of trained.specialTokens)
    decoder[String(id)] = addedTokenEntry(content);
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    bos_token: endOfText,
    eos_token: endOfText,
    unk_token: endOfText,
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
    tokenizer_class: 'GPT2Tokenizer',
  };
}

/**
 * Writes tokenizer.json and tokenizer_config.json into `folder` (created if needed), each to a
 * temporary name first and then renamed. Same inputs, same bytes.
 */
export function writeTokenizerFolder(
  folder: string,
  trained: TrainedBpe,
  modelMaxLength: number,
): void {
  mkdirSync(folder, { recursive: true });
  const files: [string, unknown][] = [
    ['tokenizer.json', toTokenizerJson(trained)],
    ['tokenizer_config.json', toTokenizerConfig(trained, modelMaxLength)],
  ];
  for (const [name, content] of files) {
    const path = join(folder, name);
    writeFileSync(`${path}.partial`, `${JSON.stringify(content, null, 2)}\n`);
    renameSync(`${path}.partial`, path);
  }
}
