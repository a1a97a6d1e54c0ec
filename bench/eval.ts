/**
 * Eval throughput (bench/RESULTS.md "Eval throughput").
 *
 *   node --import tsx bench/eval.ts [--part all|micro|full] [--model random|tiny] [--docs 200]
 *     [--tokens 256] [--out bench/results/eval.json]
 *
 * (a) micro, cpu-small shape (4 layers, C 256, 8 heads, vocab 8192, T 128), random weights,
 *     wasm backend: teacher-forced scoring tokens/s through `computeTokenStats` (random ids,
 *     32 sequences of 128 tokens, default batch of 8; one untimed warm-up batch) and greedy
 *     generation tokens/s through `greedyGenerate` (8 prompts of 32 random ids, 64 new tokens
 *     each, no stop token; one untimed warm-up call).
 * (b) full, `evaluateModel` as `nepenthe eval` runs it (sha256 of the weights included) on
 *     `--docs` forget and `--docs` holdout documents of about `--tokens` tokens each: random-ish
 *     English from a seeded generator, grown word by word while the encoded document stays within
 *     `--tokens`. The model: `random` (default) is a GPT-2 of 4 layers, 128 wide, 4 heads,
 *     n_positions 256, random weights (seed 0), written to a temp folder with resources/tiny-gpt2's
 *     tokenizer (vocab 512); `tiny` is resources/tiny-gpt2 itself (2 layers, 64 wide,
 *     n_positions 128, so every document becomes two 128-token windows). Phases are timed from
 *     the progress callbacks (first to last call of each label, plus the gap before it).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { EvalReport } from '../src/shared/contracts.ts';
import type { Document } from '../src/worker/data/documents.ts';
import { mulberry32 } from '../src/worker/data/prng.ts';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { createRandomModel } from '../src/worker/model/architectures/index.ts';
import { loadModelSpec } from '../src/worker/model/config.ts';
import { greedyGenerate } from '../src/worker/model/generate.ts';
import { loadModel } from '../src/worker/model/load.ts';
import { writeCheckpoint } from '../src/worker/model/safetensors/writer.ts';
import { loadTokenizer, type Tokenizer } from '../src/worker/model/tokenizer.ts';
import { computeTokenStats } from '../src/worker/metrics/token-stats.ts';
import { BENCH_SHAPES, benchSpec } from '../src/worker/tasks/bench.ts';
import { evaluateModel } from '../src/worker/tasks/eval.ts';
import { hashFiles } from '../src/worker/tasks/inspect.ts';

const { values: options } = parseArgs({
  options: {
    part: { type: 'string', default: 'all' },
    model: { type: 'string', default: 'random' },
    docs: { type: 'string', default: '200' },
    tokens: { type: 'string', default: '256' },
    out: { type: 'string', default: '' },
  },
});
const TINY = fileURLToPath(new URL('../resources/tiny-gpt2', import.meta.url));

const rng = mulberry32;

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function micro(): Promise<Record<string, number>> {
  const shape = BENCH_SHAPES['cpu-small']!;
  const model = createRandomModel(benchSpec(shape), 0);
  const random = rng(1);
  const ids = (n: number) => Array.from({ length: n }, () => Math.floor(random() * shape.vocab));
  try {
    await computeTokenStats(model, [ids(shape.seq)], { batchSize: 1 }); // warm-up
    const sequences = Array.from({ length: 32 }, () => ids(shape.seq));
    let start = performance.now();
    await computeTokenStats(model, sequences);
    const scoreMs = performance.now() - start;
    const scored = sequences.length * (shape.seq - 1);

    await greedyGenerate(model, ids(32), 8); // warm-up
    const prompts = Array.from({ length: 8 }, () => ids(32));
    let generated = 0;
    start = performance.now();
    for (const prompt of prompts) generated += (await greedyGenerate(model, prompt, 64)).length;
    const generateMs = performance.now() - start;
    const result = {
      scoreTokens: scored,
      scoreMs,
      scoreTokensPerS: scored / (scoreMs / 1000),
      generatedTokens: generated,
      generateMs,
      generateTokensPerS: generated / (generateMs / 1000),
      generateMsPerToken: generateMs / generated,
    };
    console.log(
      `cpu-small scoring: ${scored} tokens in ${seconds(scoreMs)} s = ${result.scoreTokensPerS.toFixed(0)} tok/s`,
    );
    console.log(
      `cpu-small generation: ${generated} tokens in ${seconds(generateMs)} s = ` +
        `${result.generateTokensPerS.toFixed(1)} tok/s (${result.generateMsPerToken.toFixed(1)} ms/token)`,
    );
    console.log(`load ${load()}`);
    return result;
  } finally {
    model.dispose();
  }
}

const WORDS = (
  'the a of and to in is was for on with as by at from that this it his her their river town ' +
  'market bridge lantern baker keeper morning evening winter harbor garden letter clock road ' +
  'stone green old quiet narrow bright small every never always walked opened carried wrote ' +
  'watched sold built found kept near under over between after before because while she he ' +
  'they we boats bread coins names windows doors hills fields ledger lamp rain mill well'
).split(' ');

/** Random-ish English of at most `maxTokens` tokens (as encoded, framing included). */
function makeDocuments(tokenizer: Tokenizer, count: number, maxTokens: number, seed: number) {
  const random = rng(seed);
  const pick = () => WORDS[Math.floor(random() * WORDS.length)]!;
  const docs: Document[] = [];
  let tokens = 0;
  for (let d = 0; d < count; d++) {
    let text = '';
    let sentence = 0;
    for (;;) {
      let word = pick();
      if (sentence === 0) word = word[0]!.toUpperCase() + word.slice(1);
      sentence += 1;
      const end = sentence > 5 && random() < 0.15 ? '.' : '';
      if (end) sentence = 0;
      const next = `${text}${text ? ' ' : ''}${word}${end}`;
      if (tokenizer.encode(next).length > maxTokens) break;
      text = next;
    }
    tokens += tokenizer.encode(text).length;
    docs.push({ id: `doc${d}`, text });
  }
  return { docs, tokens };
}

/** A GPT-2 folder with random weights and tiny-gpt2's tokenizer. */
async function writeRandomGpt2(folder: string): Promise<void> {
  mkdirSync(folder, { recursive: true });
  const config = {
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    bos_token_id: 511,
    eos_token_id: 511,
    layer_norm_epsilon: 1e-5,
    model_type: 'gpt2',
    n_ctx: 256,
    n_embd: 128,
    n_head: 4,
    n_inner: null,
    n_layer: 4,
    n_positions: 256,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    vocab_size: 512,
  };
  writeFileSync(join(folder, 'config.json'), JSON.stringify(config, null, 2));
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
    copyFileSync(join(TINY, file), join(folder, file));
  }
  const model = createRandomModel(loadModelSpec(folder), 0);
  try {
    writeCheckpoint(folder, await model.exportWeights(), 'F32');
  } finally {
    model.dispose();
  }
}

async function full(): Promise<Record<string, unknown>> {
  const count = Number(options.docs);
  const maxTokens = Number(options.tokens);
  const temp = mkdtempSync(join(tmpdir(), 'nepenthe-bench-eval-'));
  try {
    let folder = TINY;
    if (options.model === 'random') {
      folder = join(temp, 'gpt2-4x128');
      await writeRandomGpt2(folder);
    }
    const started = performance.now();
    const tokenizer = loadTokenizer(folder);
    const loaded = loadModel(folder);
    const forget = makeDocuments(tokenizer, count, maxTokens, 11);
    const holdout = makeDocuments(tokenizer, count, maxTokens, 12);
    const prepMs = performance.now() - started;
    console.log(
      `model ${options.model} (${loaded.spec.layers} layers, ${loaded.spec.hidden} wide, ` +
        `${loaded.spec.maxPositions} positions); forget ${count} docs / ${forget.tokens} tokens, ` +
        `holdout ${count} docs / ${holdout.tokens} tokens; load + data ${seconds(prepMs)} s`,
    );
    const phases = new Map<string, { first: number; last: number; total: number }>();
    let previous = performance.now();
    const evalStart = previous;
    const cpuStart = process.cpuUsage();
    try {
      const document = await evaluateModel(
        {
          model: {
            model: loaded.model,
            tokenizer,
            sha256: await hashFiles(loaded.checkpoint.files),
            architecture: loaded.spec.modelType,
          },
          sets: { forget: forget.docs, holdout: holdout.docs },
        },
        {
          onProgress: (label, _done, total) => {
            const now = performance.now();
            const phase = phases.get(label);
            if (phase === undefined) phases.set(label, { first: previous, last: now, total });
            else phase.last = now;
            previous = now;
          },
        },
      );
      const evalMs = performance.now() - evalStart;
      const cpu = process.cpuUsage(cpuStart);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const report = EvalReport.parse(document);
      const rows = [...phases].map(([label, p]) => ({
        label,
        items: p.total,
        ms: p.last - p.first,
      }));
      for (const row of rows) {
        console.log(
          `  ${row.label.padEnd(24)} ${String(row.items).padStart(4)}  ${seconds(row.ms)} s`,
        );
      }
      const accounted = rows.reduce((s, r) => s + r.ms, 0);
      console.log(
        `  ${'rest (metrics, MIA, PII)'.padEnd(24)}       ${seconds(evalMs - accounted)} s`,
      );
      console.log(
        `full eval ${seconds(evalMs)} s wall, ${seconds(cpuMs)} s cpu ` +
          `(${seconds(evalMs + prepMs)} s wall with load + data); ` +
          `windows forget ${String(report.sets.forget?.windows)}, mia.loss.auc ${report.mia?.loss?.auc}; load ${load()}`,
      );
      return {
        model: options.model,
        documents: count,
        forgetTokens: forget.tokens,
        holdoutTokens: holdout.tokens,
        prepMs,
        evalMs,
        cpuMs,
        phases: rows,
      };
    } finally {
      loaded.model.dispose();
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

const backend = await selectBackend('wasm');
console.log(
  `backend ${backend.name} (${backend.reason}); ${cpus().length} cpus; load ${load()}; tfjs ${tf.version_core}`,
);
const results: Record<string, unknown> = { cpus: cpus().length, loadBefore: loadavg() };
if (options.part !== 'full') results.micro = await micro();
if (options.part !== 'micro') results.full = await full();
results.loadAfter = loadavg();
if (options.out) {
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
}
