/**
 * Builds resources/testbed (DESIGN.md §7): fictitious people with PII, their splits as corpus and
 * QA files, a byte-level BPE tokenizer, a small GPT-2 trained by our own code until it recites
 * the training people's biographies (forget10 + retain), and a reference model trained the same
 * way on retain only. Both are Hugging Face folders; manifest.json records the recipe, the
 * losses, the measured memorization and the sha256 of every file.
 *
 *   npm run testbed [-- --out <dir>]          (default resources/testbed; wasm backend)
 *   npm run testbed -- --out <dir> [--seed N] [--people N] [--holdout N] [--vocab N] [--epochs N]
 *   npm run testbed -- --qa-only [--out <dir>]
 *
 * The options' defaults are resources/testbed's recipe (testbed-options.ts); another recipe
 * needs its own --out (resources/testbed-b: `--seed 20251202 --vocab 1024 --holdout 60`).
 *
 * `--qa-only` rewrites only qa/*.jsonl (question, answer and TOFU's paraphrased_answer and
 * perturbed_answers, `qaRecords`) and their sha256 in an existing manifest.json, with the seed
 * and people counts that manifest records: the weights, the tokenizer (trained on question +
 * answer only) and every other file stay as they are.
 *
 * Deterministic by construction (seeded data, init and shuffles; single-threaded wasm); the
 * manifest holds no timestamps, so a rebuild can be checked file by file against it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  commandLine,
  parseTestbedArgs,
  UsageError,
  type TestbedOptions,
} from './testbed-options.ts';
import { trainByteLevelBpe, writeTokenizerFolder } from '../src/worker/data/bpe-trainer.ts';
import {
  SPLIT_NAMES,
  biography,
  qaPairs,
  qaRecords,
  qaText,
  testbedSplits,
  type TestbedPerson,
  type TestbedSplits,
} from '../src/worker/data/testbed/index.ts';
import { trainToMemorize, type TrainResult } from '../src/worker/data/testbed/train.ts';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { verbatimMemorization } from '../src/worker/metrics/verbatim.ts';
import { createRandomModel } from '../src/worker/model/architectures/index.ts';
import type { ModelSpec } from '../src/worker/model/config.ts';
import { loadModel } from '../src/worker/model/load.ts';
import { writeCheckpoint } from '../src/worker/model/safetensors/index.ts';
import { loadTokenizer, type Tokenizer } from '../src/worker/model/tokenizer.ts';

export const TESTBED_DIR = fileURLToPath(new URL('../resources/testbed', import.meta.url));

/**
 * The fixed part of the recipe; every number is in the manifest. Sized for < 10 minutes on 2 CPU
 * cores (wasm) with the default options (100 people, 40 epochs).
 */
export const TESTBED = {
  model: { layers: 2, embd: 128, heads: 4, positions: 256 },
  train: { batchSize: 10, lr: 5e-3, warmupSteps: 20, clip: 1.0 },
  /** Safetensors dtype of the shipped weights (memorization is measured on what is shipped). */
  dtype: 'F16',
} as const;

/**
 * verbatimMemorization's default 32-token prefix + 32-token continuation: in a shorter biography
 * the continuation would be cut short and exact recitation would mean less.
 */
const MIN_BIOGRAPHY_TOKENS = 64;

function modelSpec(endOfText: number, vocabSize: number): ModelSpec {
  const { layers, embd, heads, positions } = TESTBED.model;
  return {
    modelType: 'gpt2',
    family: 'gpt2',
    vocabSize,
    hidden: embd,
    layers,
    heads,
    kvHeads: heads,
    headDim: embd / heads,
    intermediate: 4 * embd,
    maxPositions: positions,
    normEps: 1e-5,
    tieWordEmbeddings: true,
    qkvBias: true,
    oBias: true,
    mlpBias: true,
    ropeTheta: 0,
    ropeScaling: null,
    bosTokenId: endOfText,
    eosTokenId: endOfText,
  };
}

/** config.json as transformers writes it for GPT-2; dropout off (we never use it). */
function configJson(endOfText: number, vocabSize: number): Record<string, unknown> {
  const { layers, embd, heads, positions } = TESTBED.model;
  return {
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    attn_pdrop: 0,
    bos_token_id: endOfText,
    embd_pdrop: 0,
    eos_token_id: endOfText,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-5,
    model_type: 'gpt2',
    n_ctx: positions,
    n_embd: embd,
    n_head: heads,
    n_inner: null,
    n_layer: layers,
    n_positions: positions,
    resid_pdrop: 0,
    scale_attn_by_inverse_layer_idx: false,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    torch_dtype: TESTBED.dtype === 'F16' ? 'float16' : 'float32',
    use_cache: true,
    vocab_size: vocabSize,
  };
}

const jsonl = (rows: readonly unknown[]): string =>
  rows.map((r) => `${JSON.stringify(r)}\n`).join('');
const log = (line: string) => process.stderr.write(`${line}\n`);

async function trainModel(
  folder: string,
  people: readonly TestbedPerson[],
  tokenizer: Tokenizer,
  spec: ModelSpec,
  name: string,
  options: TestbedOptions,
): Promise<TrainResult> {
  const docs = people.map((p) => tokenizer.encode(biography(p)));
  const model = createRandomModel(spec, options.seed);
  const started = performance.now();
  const result = await trainToMemorize(model, docs, {
    ...TESTBED.train,
    epochs: options.epochs,
    seed: options.seed,
    onEpoch: (epoch, loss, steps) =>
      log(
        `${name}: epoch ${epoch}/${options.epochs} step ${steps} loss ${loss.toFixed(4)} ` +
          `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
      ),
  });
  writeCheckpoint(folder, await model.exportWeights(), TESTBED.dtype);
  model.dispose();
  return result;
}

/** Greedy exact continuation (32-token prefix, 32 tokens) of each split's biographies. */
async function memorization(
  folder: string,
  splits: Record<string, readonly TestbedPerson[]>,
): Promise<Record<string, { exactRate: number | null; rougeL: number | null; documents: number }>> {
  const { model } = loadModel(folder);
  const tokenizer = loadTokenizer(folder);
  const out: Record<
    string,
    { exactRate: number | null; rougeL: number | null; documents: number }
  > = {};
  for (const [name, people] of Object.entries(splits)) {
    const docs = people.map((p) => tokenizer.encode(biography(p)));
    const result = await verbatimMemorization(model, tokenizer, docs);
    out[name] = { exactRate: result.exactRate, rougeL: result.rougeL, documents: result.scored };
  }
  model.dispose();
  return out;
}

function sha256Tree(root: string, dir = root): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(hashes, sha256Tree(root, path));
    else if (path !== join(root, 'manifest.json')) {
      hashes[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  }
  return hashes;
}

const QA_SPLITS = ['forget10', 'retain', 'holdout'] as const;

/** qa/<split>.jsonl: the QA pairs with their TOFU probe answers, one JSON object a line. */
function writeQaFiles(dir: string, splits: TestbedSplits, seed: number): void {
  const everyone = [...splits.forget10, ...splits.retain, ...splits.holdout];
  for (const name of QA_SPLITS) {
    const rows = splits[name].flatMap((p) => qaRecords(p, everyone, seed));
    writeFileSync(join(dir, 'qa', `${name}.jsonl`), jsonl(rows));
  }
}

/** `--qa-only`: rewrite the QA files of an existing testbed and their manifest hashes. */
export function rewriteTestbedQa(outDir: string): void {
  const manifestPath = join(outDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    seed: number;
    people: { training: number; holdout: number };
    files: Record<string, string>;
  };
  const { seed, people } = manifest;
  const splits = testbedSplits({ seed, people: people.training, holdout: people.holdout });
  writeQaFiles(outDir, splits, seed);
  for (const name of QA_SPLITS) {
    const file = `qa/${name}.jsonl`;
    if (!(file in manifest.files)) throw new Error(`${manifestPath} has no entry for ${file}`);
    manifest.files[file] = createHash('sha256')
      .update(readFileSync(join(outDir, file)))
      .digest('hex');
  }
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`rewrote ${QA_SPLITS.map((n) => `qa/${n}.jsonl`).join(', ')} and their hashes in ${outDir}`);
}

/**
 * The tokenizer must give every biography room for verbatim's prefix and continuation and fit
 * the model's positions; checked before any training, so a bad `--vocab` fails in seconds.
 */
function checkTokenizer(requested: number, trained: number, lengths: readonly number[]): void {
  const fail = (why: string) => {
    throw new UsageError(`--vocab ${requested}: ${why}`);
  };
  if (trained !== requested) {
    fail(`the BPE ran out of pairs seen twice at ${trained} tokens; ask for ≤ ${trained}`);
  }
  const [shortest, longest] = [Math.min(...lengths), Math.max(...lengths)];
  const { positions } = TESTBED.model;
  if (shortest < MIN_BIOGRAPHY_TOKENS) {
    fail(
      `the shortest biography is ${shortest} tokens, under the ${MIN_BIOGRAPHY_TOKENS} that ` +
        `verbatim memorization reads (32-token prefix + 32); use a smaller --vocab`,
    );
  }
  if (longest > positions) {
    fail(
      `the longest biography is ${longest} tokens, over the model's ${positions} positions; use a larger --vocab`,
    );
  }
}

export async function makeTestbed(outDir: string, options: TestbedOptions): Promise<void> {
  const started = performance.now();
  const splits = testbedSplits(options);
  const partial = `${outDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  for (const sub of ['corpus', 'qa', 'model', 'reference']) {
    mkdirSync(join(partial, sub), { recursive: true });
  }
  for (const name of SPLIT_NAMES) {
    const rows = splits[name].map((p) => ({ text: biography(p) }));
    writeFileSync(join(partial, 'corpus', `${name}.jsonl`), jsonl(rows));
  }
  writeQaFiles(partial, splits, options.seed);

  // The tokenizer sees everyone, holdout included (as a pretrained tokenizer would): whether a
  // person's name is a single token then says nothing about whether the model trained on them.
  const everyone = [...splits.forget10, ...splits.retain, ...splits.holdout];
  const texts = everyone.flatMap((p) => [biography(p), ...qaPairs(p).map(qaText)]);
  const bpe = trainByteLevelBpe(texts, { vocabSize: options.vocab });
  const endOfText = bpe.specialTokens[0]!.id;
  const { positions } = TESTBED.model;
  for (const sub of ['model', 'reference']) {
    const folder = join(partial, sub);
    writeTokenizerFolder(folder, bpe, positions);
    writeFileSync(
      join(folder, 'config.json'),
      `${JSON.stringify(configJson(endOfText, bpe.vocabSize), null, 2)}\n`,
    );
  }
  log(
    `tokenizer: ${bpe.vocabSize} tokens (${((performance.now() - started) / 1000).toFixed(0)} s)`,
  );

  const tokenizer = loadTokenizer(join(partial, 'model'));
  const lengths = everyone.map((p) => tokenizer.encode(biography(p)).length);
  try {
    checkTokenizer(options.vocab, bpe.vocabSize, lengths);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }

  // The portable wasm kernels only: the native addon's OpenBLAS products round differently (and
  // did not exist when resources/testbed was built), so with them a default build trains other
  // weights — it still memorizes, but the files no longer match the shipped manifest.
  process.env.NEPENTHE_NATIVE_ADDON = 'off';
  const backend = await selectBackend('wasm');
  log(`backend: ${backend.name} (${backend.reason})`);
  const spec = modelSpec(endOfText, bpe.vocabSize);
  const training = [...splits.forget10, ...splits.retain].sort((a, b) => a.id - b.id);
  const modelRun = await trainModel(
    join(partial, 'model'),
    training,
    tokenizer,
    spec,
    'model',
    options,
  );
  const referenceRun = await trainModel(
    join(partial, 'reference'),
    splits.retain,
    tokenizer,
    spec,
    'reference',
    options,
  );
  const probeSplits = { forget10: splits.forget10, retain: splits.retain, holdout: splits.holdout };
  const measured = {
    model: await memorization(join(partial, 'model'), probeSplits),
    reference: await memorization(join(partial, 'reference'), probeSplits),
  };
  log(`memorization: ${JSON.stringify(measured)}`);

  const summary = (r: TrainResult, people: number) => ({
    people,
    epochs: r.epochs,
    steps: r.steps,
    finalLoss: Number(r.finalLoss.toFixed(6)),
    lossPerEpoch: r.losses.map((l) => Number(l.toFixed(6))),
  });
  const manifest = {
    description:
      'Nepenthe testbed: fictitious people with PII, a GPT-2 that memorized forget10 + retain, and a reference trained on retain only (DESIGN.md §7).',
    command: commandLine(options),
    seed: options.seed,
    people: { training: options.people, holdout: options.holdout },
    splits: Object.fromEntries(SPLIT_NAMES.map((n) => [n, splits[n].map((p) => p.id)])),
    tokenizer: { type: 'byte-level BPE', vocabSize: bpe.vocabSize, trainedOn: 'all people' },
    biographyTokens: { min: Math.min(...lengths), max: Math.max(...lengths) },
    model: { architecture: 'gpt2', ...TESTBED.model, dtype: TESTBED.dtype },
    recipe: {
      epochs: options.epochs,
      ...TESTBED.train,
      optimizer: 'AdamW (weight decay 0)',
      backend: 'wasm',
      data: 'biographies',
    },
    training: {
      model: { trainedOn: 'forget10 + retain', ...summary(modelRun, training.length) },
      reference: { trainedOn: 'retain', ...summary(referenceRun, splits.retain.length) },
    },
    memorization: {
      metric: 'greedy exact continuation rate, 32-token prefix, 32 tokens (verbatimMemorization)',
      ...measured,
    },
    files: sha256Tree(partial),
  };
  writeFileSync(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(partial, outDir);
  tf.disposeVariables();
  log(`wrote ${outDir} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

try {
  const command = parseTestbedArgs(process.argv.slice(2));
  const out = resolve(command.out ?? TESTBED_DIR);
  if (command.qaOnly) rewriteTestbedQa(out);
  else await makeTestbed(out, command.options);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`make-testbed: ${error.message}\n`);
  process.exitCode = 2;
}
