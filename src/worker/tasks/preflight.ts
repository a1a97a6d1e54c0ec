/**
 * The memory pre-flight: before a run allocates anything, the memory estimate
 * (src/shared/memory-estimate.ts) of this model, method, batch and sequence length is compared
 * with the memory this machine has available. A run that cannot fit stops with exit 2 and the
 * numbers — what it needs, what there is, and what would fit — instead of dying inside a kernel.
 *
 * Available memory: Linux's MemAvailable (/proc/meminfo), else os.freemem();
 * NEPENTHE_MEMORY_LIMIT (bytes) caps it, for machines shared with other work and for tests.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { availableParallelism, freemem } from 'node:os';
import { UserInputError } from '../../shared/errors.ts';
import { estimateMemory } from '../../shared/memory-estimate.ts';
import { loadNativeAddon } from '../engine/native/addon.ts';
import { architectureFor } from '../model/architectures/index.ts';
import { mlpElementsPerLayer, type ModelSpec } from '../model/config.ts';
import type { RunConfig } from '../unlearn/config.ts';

/**
 * Bytes per parameter a method holds beyond full-parameter training, measured at the 0.5B shape
 * (bench/RESULTS.md "Every method"): KL's frozen reference copy and its forward pass; SGA's
 * (the K − 1 neighbour losses' extra buffers, measured, not yet traced to a tensor); SAU's mask
 * and its masked gradients (12.23 against GradDiff's 10.79 GiB, both with the one-pass loss:
 * 3.1 B/param). UNDIAL holds the same frozen copy and runs one reference forward pass per
 * micro-batch: KL's figure, not measured for it (its reference pass runs outside the tape, so
 * it should need no more).
 */
const EXTRA_BYTES_PER_PARAMETER: Readonly<Record<string, number>> = {
  kl: 9,
  undial: 9,
  sga: 8,
  sau: 3,
};

export function parameterCount(spec: ModelSpec): number {
  return architectureFor(spec.family)
    .parameters(spec)
    .reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** Bytes this process may use: MemAvailable (or free memory), capped by NEPENTHE_MEMORY_LIMIT. */
export function availableMemoryBytes(): number {
  let available = freemem();
  try {
    const line = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (line) available = Number(line[1]) * 1024;
  } catch {
    // not Linux: os.freemem() it is
  }
  const limit = process.env.NEPENTHE_MEMORY_LIMIT;
  if (limit !== undefined && limit !== '') {
    const bytes = Number(limit);
    if (!Number.isFinite(bytes) || bytes <= 0)
      throw new UserInputError(
        undefined,
        `NEPENTHE_MEMORY_LIMIT must be a byte count, got "${limit}"`,
      );
    available = Math.min(available, bytes);
  }
  return available;
}

/**
 * Whether the run's memory follows the native backend's coefficients: the engine is native, or
 * (checked before any engine starts, as the CLI does) it will be, the addon being loadable.
 * With another engine active (--backend wasm) the worker checks again with that one's numbers.
 */
function onNativeBackend(): boolean {
  const active = tf.engine().backendName as string | null | undefined; // unset before the first backend
  if (active !== null && active !== undefined) return active === 'native';
  return loadNativeAddon(availableParallelism()).ok;
}

export interface MemoryNeed {
  readonly bytes: number;
  readonly availableBytes: number;
  /** The tokens per sequence the estimate assumed: maxLength, or the longest sequence if shorter. */
  readonly sequenceLength: number;
  readonly fits: boolean;
  /**
   * The trainer switches gradient checkpointing on (full-parameter methods): by default on the
   * native CPU backend (`checkpointsByDefault`), elsewhere when only it makes the run fit;
   * `bytes` is then the checkpointed estimate.
   */
  readonly checkpointing: boolean;
  /** The estimate without checkpointing. */
  readonly plainBytes: number;
  /** The checkpointed estimate (null for bounded, whose adapters are not a block's parameters). */
  readonly checkpointedBytes: number | null;
  /** What would fit instead, in words (empty when nothing smaller does). */
  readonly alternatives: string[];
}

/**
 * Gradient checkpointing is the default for full-parameter training on the native CPU backend:
 * measured there (bench/RESULTS.md) it is no slower — the recomputed forward pass is paid back
 * by fewer and smaller allocations — and it keeps a third to a half less memory. On wasm it
 * costs a quarter of the train speed (cpu-small), so there it is used only when a run needs it.
 */
export function checkpointsByDefault(method: string, nativeCpu: boolean): boolean {
  return nativeCpu && method !== 'bounded';
}

/** The estimate's view of a model: its depth, width, vocabulary and parameter count. */
function estimateShape(spec: ModelSpec) {
  const parameters = parameterCount(spec);
  return { layers: spec.layers, hidden: spec.hidden, vocab: spec.vocabSize, parameters };
}

/** One run's estimated bytes: `method` on `spec`, with this batch, length, backend and checkpointing. */
function runBytes(
  spec: ModelSpec,
  method: string,
  config: RunConfig,
  run: {
    batchSize: number;
    sequenceLength: number;
    nativeCpu: boolean;
    checkpointing: boolean;
  },
): number {
  const shape = estimateShape(spec);
  // SGA's graph holds the forget batch and K − 1 neighbour batches: K/2 GradDiff's tokens.
  const rows = method === 'sga' ? (run.batchSize * config.k) / 2 : run.batchSize;
  const estimate = estimateMemory(shape, {
    batchSize: rows,
    sequenceLength: run.sequenceLength,
    rank: config.rank,
    heads: spec.heads,
    mlpElementsPerLayer: mlpElementsPerLayer(spec),
    nativeCpu: run.nativeCpu,
    checkpointing: run.checkpointing,
    gpuMemoryBytes: null,
    onGpu: false,
    systemMemoryBytes: 0,
  });
  const base = method === 'bounded' ? estimate.loraBytes : estimate.fullParameterBytes;
  // SAU and bounded hold their base loss's extras too (kl's and undial's frozen copy).
  const overBase = method === 'sau' || method === 'bounded';
  const extra =
    (EXTRA_BYTES_PER_PARAMETER[method] ?? 0) +
    (overBase ? (EXTRA_BYTES_PER_PARAMETER[config.baseMethod] ?? 0) : 0);
  return base + extra * shape.parameters;
}

/**
 * `longestSequence`: the longest token sequence the run will batch (its documents' chunks, each
 * at most maxLength). Batches are padded to their longest row, not to maxLength, so a run on
 * short documents needs the memory of its real lengths; without it, maxLength is assumed.
 */
export function memoryNeed(
  spec: ModelSpec,
  method: string,
  config: RunConfig,
  longestSequence?: number,
): MemoryNeed {
  const length = Math.min(config.maxLength, longestSequence ?? config.maxLength);
  const nativeCpu = onNativeBackend();
  const need = (batchSize: number, sequenceLength: number, name: string, checkpointing = false) =>
    runBytes(spec, name, config, { batchSize, sequenceLength, nativeCpu, checkpointing });
  const availableBytes = availableMemoryBytes();
  const fitting = (b: number) => b <= availableBytes;
  const plain = need(config.batchSize, length, method);
  const checkpointed = method === 'bounded' ? null : need(config.batchSize, length, method, true);
  // Checkpointed by default on native, else only when that alone makes the run fit.
  const checkpointing =
    checkpointed !== null &&
    (checkpointsByDefault(method, nativeCpu) || (!fitting(plain) && fitting(checkpointed)));
  const bytes = checkpointing ? checkpointed : plain;
  const alternatives: string[] = [];
  if (!fitting(bytes)) {
    const smallest = (batchSize: number, sequenceLength: number, name: string) =>
      name === 'bounded'
        ? need(batchSize, sequenceLength, name)
        : need(batchSize, sequenceLength, name, true);
    const option = (label: string, batchSize: number, sequenceLength: number, name: string) => {
      const bytesThen = smallest(batchSize, sequenceLength, name);
      if (fitting(bytesThen)) alternatives.push(`${label} (${gib(bytesThen)})`);
    };
    if (config.batchSize > 1) option('batchSize 1', 1, length, method);
    if (length > 32) option('maxLength 32', config.batchSize, 32, method);
    if (method !== 'bounded') option('the bounded method', config.batchSize, length, 'bounded');
    alternatives.push('a machine with more memory or a GPU (--backend webgpu)');
  }
  return {
    bytes,
    availableBytes,
    sequenceLength: length,
    fits: fitting(bytes),
    checkpointing,
    plainBytes: plain,
    checkpointedBytes: checkpointed,
    alternatives,
  };
}

/**
 * The run's tensor memory on the wasm backend's coefficients, for `auto`'s choice between wasm
 * (with the native kernels) and the native backend (engine/backend.ts `wasmTensorBytes`).
 */
export function wasmTensorBytes(
  spec: ModelSpec,
  method: string,
  config: RunConfig,
  longestSequence?: number,
): number {
  // The run as it is (no checkpointing), whatever this machine's free memory.
  const sequenceLength = Math.min(config.maxLength, longestSequence ?? config.maxLength);
  return runBytes(spec, method, config, {
    batchSize: config.batchSize,
    sequenceLength,
    nativeCpu: false,
    checkpointing: false,
  });
}

/**
 * The same for an evaluation job (score, eval, generate): the weights and one scoring batch of
 * 8 × `sequenceLength` tokens (token-stats.ts's default batch).
 */
export function wasmEvalTensorBytes(spec: ModelSpec, sequenceLength: number): number {
  return estimateMemory(estimateShape(spec), {
    batchSize: 8,
    sequenceLength,
    rank: 1,
    heads: spec.heads,
    gpuMemoryBytes: null,
    onGpu: false,
    systemMemoryBytes: 0,
  }).evalBytes;
}

/**
 * Throws exit-2 UserInputError naming `folder` when the run cannot fit this machine, even with
 * gradient checkpointing; else returns the need (with `checkpointing` when the run uses it).
 */
export function checkMemoryFits(
  folder: string,
  spec: ModelSpec,
  method: string,
  config: RunConfig,
  longestSequence?: number,
): MemoryNeed {
  const need = memoryNeed(spec, method, config, longestSequence);
  if (need.fits) return need;
  const lengths =
    need.sequenceLength < config.maxLength
      ? `sequences of up to ${need.sequenceLength} tokens (maxLength ${config.maxLength})`
      : `maxLength ${config.maxLength}`;
  throw new UserInputError(
    folder,
    `${method} on this model with batchSize ${config.batchSize} and ${lengths} needs about ${gib(need.plainBytes)} of memory (estimate${need.checkpointedBytes === null ? '' : `; ${gib(need.checkpointedBytes)} with gradient checkpointing`}), but ${gib(need.availableBytes)} is available; would fit: ${need.alternatives.join('; ')}`,
  );
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
