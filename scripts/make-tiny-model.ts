/**
 * Makes resources/tiny-gpt2/: a real Hugging Face GPT-2 folder, small enough to ship and to run
 * in tests on a CPU — config.json, model.safetensors (F32, randomly initialized), tokenizer.json
 * and tokenizer_config.json (a byte-level BPE trained on scripts/tiny-corpus.ts).
 *
 *   node --import tsx scripts/make-tiny-model.ts [out-dir]     (default resources/tiny-gpt2)
 *
 * Deterministic: the same code gives the same bytes. Weights come from a seeded PRNG (mulberry32)
 * through Box–Muller; V8's Math.log/cos/sin are fdlibm ports, bit-identical on every platform.
 *
 * Initialization is Hugging Face's GPT2PreTrainedModel._init_weights: every weight matrix and
 * embedding ~ N(0, 0.02) (`initializer_range`), except the residual projections (attn.c_proj,
 * mlp.c_proj) ~ N(0, 0.02/√(2·n_layer)) (GPT-2 paper §2.3: scale residual-layer weights by 1/√N);
 * biases 0; LayerNorm weight 1, bias 0.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { trainByteLevelBpe, writeTokenizerFolder } from '../src/worker/data/bpe-trainer.ts';
import { writeCheckpoint, type TensorToWrite } from '../src/worker/model/safetensors/index.ts';
import { mulberry32 } from '../src/worker/data/prng.ts';
import { TINY_CORPUS } from './tiny-corpus.ts';

export const TINY_GPT2_DIR = fileURLToPath(new URL('../resources/tiny-gpt2', import.meta.url));

/** The shape of the tiny model; every number is small so tests run in milliseconds on a CPU. */
export const TINY_GPT2 = {
  nEmbd: 64,
  nLayer: 2,
  nHead: 4,
  nPositions: 128,
  /** 256 bytes + 255 merges + <|endoftext|>: all the merges the corpus supports twice over. */
  vocabSize: 512,
  initializerRange: 0.02,
  seed: 20240517,
} as const;

/** Standard normal draws by Box–Muller, both values of each pair used. */
function normalSampler(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const u = 1 - uniform(); // (0, 1]: log(u) is finite
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/** Tensors in HF GPT2LMHeadModel names and layouts (Conv1D weights are [in, out]). */
function initialWeights(): TensorToWrite[] {
  const { nEmbd: C, nLayer, nPositions, vocabSize, initializerRange, seed } = TINY_GPT2;
  const normal = normalSampler(seed);
  const residualStd = initializerRange / Math.sqrt(2 * nLayer);
  const tensors: TensorToWrite[] = [];
  const add = (name: string, shape: number[], fill: number | { std: number }) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (typeof fill === 'number') data.fill(fill);
    else for (let i = 0; i < data.length; i++) data[i] = fill.std * normal();
    tensors.push({ name, shape, data });
  };
  const std = { std: initializerRange };
  add('transformer.wte.weight', [vocabSize, C], std);
  add('transformer.wpe.weight', [nPositions, C], std);
  for (let i = 0; i < nLayer; i++) {
    const p = `transformer.h.${i}.`;
    add(`${p}ln_1.weight`, [C], 1);
    add(`${p}ln_1.bias`, [C], 0);
    add(`${p}attn.c_attn.weight`, [C, 3 * C], std);
    add(`${p}attn.c_attn.bias`, [3 * C], 0);
    add(`${p}attn.c_proj.weight`, [C, C], { std: residualStd });
    add(`${p}attn.c_proj.bias`, [C], 0);
    add(`${p}ln_2.weight`, [C], 1);
    add(`${p}ln_2.bias`, [C], 0);
    add(`${p}mlp.c_fc.weight`, [C, 4 * C], std);
    add(`${p}mlp.c_fc.bias`, [4 * C], 0);
    add(`${p}mlp.c_proj.weight`, [4 * C, C], { std: residualStd });
    add(`${p}mlp.c_proj.bias`, [C], 0);
  }
  add('transformer.ln_f.weight', [C], 1);
  add('transformer.ln_f.bias', [C], 0);
  return tensors;
}

/** config.json as transformers writes it for GPT-2 (sorted keys); dropout off: we never use it. */
function configJson(endOfTextId: number): Record<string, unknown> {
  const { nEmbd, nLayer, nHead, nPositions, vocabSize, initializerRange } = TINY_GPT2;
  return {
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    attn_pdrop: 0,
    bos_token_id: endOfTextId,
    embd_pdrop: 0,
    eos_token_id: endOfTextId,
    initializer_range: initializerRange,
    layer_norm_epsilon: 1e-5,
    model_type: 'gpt2',
    n_ctx: nPositions,
    n_embd: nEmbd,
    n_head: nHead,
    n_inner: null,
    n_layer: nLayer,
    n_positions: nPositions,
    resid_pdrop: 0,
    scale_attn_by_inverse_layer_idx: false,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    use_cache: true,
    vocab_size: vocabSize,
  };
}

/** Writes the folder to `<outDir>.partial` and renames it over `outDir` when complete. */
export function makeTinyModel(outDir: string): void {
  const trained = trainByteLevelBpe(TINY_CORPUS, { vocabSize: TINY_GPT2.vocabSize });
  if (trained.vocabSize !== TINY_GPT2.vocabSize) {
    throw new Error(`the corpus gave ${trained.vocabSize} tokens, not ${TINY_GPT2.vocabSize}`);
  }
  const endOfText = trained.specialTokens[0]!.id;

  const partial = `${outDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  writeFileSync(
    join(partial, 'config.json'),
    `${JSON.stringify(configJson(endOfText), null, 2)}\n`,
  );
  writeTokenizerFolder(partial, trained, TINY_GPT2.nPositions);
  writeCheckpoint(partial, initialWeights(), 'F32');

  if (existsSync(outDir)) rmSync(outDir, { recursive: true });
  mkdirSync(dirname(outDir), { recursive: true });
  renameSync(partial, outDir);
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  const outDir = resolve(process.argv[2] ?? TINY_GPT2_DIR);
  makeTinyModel(outDir);
  process.stderr.write(`wrote ${outDir}\n`);
}
