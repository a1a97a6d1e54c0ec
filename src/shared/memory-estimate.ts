/**
 * How much memory a run on a model will need, from the model's shape alone (a pure function,
 * so the numbers are checkable by hand). tfjs holds float32 only (DESIGN.md §3).
 *
 * The coefficients are measured, not assumed: bench/memory.ts runs each method through the real
 * trainer and counts the most tensor memory the backend held at once (bench/RESULTS.md "Memory
 * estimate"). tfjs keeps every intermediate of the forward pass until the backward pass ends,
 * so activations cost several times a hand count of "what backprop needs". A linear model in the
 * shape fits every measured GPT-2 configuration within 6 % (LoRA) and 2 % (full, eval):
 *
 * - full-parameter training (GradDiff, SAU, …): 30 B per parameter (weights, gradients, the two
 *   AdamW moments, the clipped gradients; SAU's mask: measured 27.3 GradDiff, 29.7 SAU);
 * - bounded LoRA: 4 B per frozen parameter, plus 70 B per element of each adapted MLP weight
 *   (8·layers·hidden² elements: the sine-bounded update is materialized at full size, with its
 *   gradient), plus the rank-r adapters at 16 B per element;
 * - per token of a training step — the forget and the retain sequences are one graph, so
 *   2 × batch × sequence tokens — 195 B per layer·hidden, 17 B per layer·head·position
 *   (attention scores, probabilities and their gradients) and 9.25 B per vocabulary entry
 *   (logits, softmax, gradient);
 * - evaluation: 4 B per parameter plus, per token of one batch, 107 B per layer·hidden, 8 B per
 *   layer·head·position and 4 B per vocabulary entry.
 *
 * Calibrated on GPT-2-layout models (LayerNorm, 4h GELU MLP); Llama-family models (SwiGLU, a
 * wider MLP) are estimated with the same coefficients. Not counted: the allocator's slack on a
 * GPU, and the JS process itself. An estimate, not a bound: the UI says so.
 */
import type { MemoryEstimate } from './app-api.ts';
import type { InspectReport } from './contracts.ts';

const FLOAT = 4;
const FULL_BYTES_PER_PARAMETER = 30;
const LORA_BYTES_PER_ADAPTED_ELEMENT = 70;
/**
 * The native CPU backend (tensors in RAM, AdamW in place, GradDiff's two sets in one forward
 * pass, bounded's update fused and recomputed in backward, the LM head chunked), fitted on its
 * measured peak RSS at the real shapes through `nepenthe unlearn` (bench/RESULTS.md "Memory
 * estimate at real shapes": SmolLM2-135M and Qwen2.5-0.5B GradDiff, and those two and
 * Llama-3.2-1B bounded; every estimate within 5 % of its measured peak). The chunked head never
 * holds more than NATIVE_HEAD_CHUNK_BYTES of logits, so the per-token vocabulary term is gone.
 */
const NATIVE_FULL_BYTES_PER_PARAMETER = 19;
const NATIVE_LORA_BYTES_PER_ADAPTED_ELEMENT = 5;
/** The chunked LM head's logits (engine/wasm-kernels/native-head.ts CHUNK_BYTES), and theirs. */
const NATIVE_HEAD_CHUNK_BYTES = 2 * 128 * 2 ** 20;
const ADAPTER_BYTES_PER_ELEMENT = 16;
/** Bytes per token per unit of each shape term; see the file comment. */
const TRAIN_PER_TOKEN = { layerHidden: 195, layerHeadPosition: 17, vocab: 9.25 };
const EVAL_PER_TOKEN = { layerHidden: 107, layerHeadPosition: 8, vocab: 4 };

export interface EstimateInputs {
  readonly batchSize: number;
  /** Tokens per sequence (the config's maxLength). */
  readonly sequenceLength: number;
  /** LoRA rank. */
  readonly rank: number;
  /** Attention heads (the model's config); default hidden / 64, GPT-2's and Llama's head size. */
  readonly heads?: number;
  /**
   * Elements of the MLP weights bounded adapts, per layer (the model's config: GPT-2 2·h·I,
   * the Llama family 3·h·I); default 8·hidden², GPT-2's.
   */
  readonly mlpElementsPerLayer?: number;
  /** The run is on the native CPU backend (its own measured coefficients). */
  readonly nativeCpu?: boolean;
  /**
   * Gradient checkpointing (full-parameter training): only each block's input (4 B per
   * layer·hidden per token) is kept through the forward pass, plus one block's activations
   * while it is recomputed. Not for LoRA (its adapters are not the block's parameters).
   */
  readonly checkpointing?: boolean;
  /** GPU memory when the engine runs on a GPU and the driver reports it. */
  readonly gpuMemoryBytes: number | null;
  readonly onGpu: boolean;
  readonly systemMemoryBytes: number;
}

export function estimateMemory(
  model: Pick<InspectReport, 'layers' | 'hidden' | 'vocab' | 'parameters'>,
  inputs: EstimateInputs,
): MemoryEstimate {
  const { layers, hidden, vocab, parameters } = model;
  const heads = inputs.heads ?? Math.max(1, Math.round(hidden / 64));
  const T = inputs.sequenceLength;
  const perToken = (c: typeof TRAIN_PER_TOKEN): number =>
    c.layerHidden * layers * hidden + c.layerHeadPosition * layers * heads * T + c.vocab * vocab;
  const trainTokens = 2 * inputs.batchSize * T;
  const trainActivations = inputs.nativeCpu
    ? trainTokens * perToken({ ...TRAIN_PER_TOKEN, vocab: 0 }) + NATIVE_HEAD_CHUNK_BYTES
    : trainTokens * perToken(TRAIN_PER_TOKEN);
  // Checkpointed: the block inputs, and one block's activations (a layer's share) at a time.
  const checkpointedActivations =
    trainTokens * (FLOAT * layers * hidden + perToken({ ...TRAIN_PER_TOKEN, vocab: 0 }) / layers) +
    (inputs.nativeCpu ? NATIVE_HEAD_CHUNK_BYTES : trainTokens * TRAIN_PER_TOKEN.vocab * vocab);
  const evalActivations = inputs.batchSize * T * perToken(EVAL_PER_TOKEN);
  const adaptedElements = layers * (inputs.mlpElementsPerLayer ?? 8 * hidden * hidden); // MLP weights
  const adapterElements = layers * 2 * inputs.rank * (hidden + 4 * hidden);
  const full = inputs.nativeCpu ? NATIVE_FULL_BYTES_PER_PARAMETER : FULL_BYTES_PER_PARAMETER;
  const lora = inputs.nativeCpu
    ? NATIVE_LORA_BYTES_PER_ADAPTED_ELEMENT
    : LORA_BYTES_PER_ADAPTED_ELEMENT;
  return {
    fullParameterBytes: Math.round(
      full * parameters + (inputs.checkpointing ? checkpointedActivations : trainActivations),
    ),
    loraBytes: Math.round(
      FLOAT * parameters +
        lora * adaptedElements +
        ADAPTER_BYTES_PER_ELEMENT * adapterElements +
        trainActivations,
    ),
    evalBytes: Math.round(FLOAT * parameters + evalActivations),
    availableBytes: inputs.onGpu ? inputs.gpuMemoryBytes : inputs.systemMemoryBytes,
    availableKind: inputs.onGpu ? 'gpu' : 'cpu',
    basis:
      `measured on the engine (bench/memory.ts, bench/real-shapes.sh): full = ${full} B/param + activations; LoRA = ` +
      `4 B/param + ${lora} B per adapted MLP weight + rank-${inputs.rank} adapters + activations; ` +
      `eval = 4 B/param + one batch's forward; training activations per token of forget + ` +
      `retain (2 × batch ${inputs.batchSize} × seq ${T}) ≈ 195 B·layers·hidden + ` +
      `17 B·layers·heads·seq + ` +
      (inputs.nativeCpu ? `one 256 MiB chunk of logits` : `9.25 B·vocab`),
  };
}
export interface MethodSuggestion {
  readonly method: 'sau' | 'bounded' | 'graddiff';
  readonly sentence: string;
}

/**
 * A sparse model suggests SAU (it keeps the zeros); a dense one GradDiff when full-parameter
 * training fits, else bounded LoRA when that fits, else the smaller of the two with a warning.
 */
export function suggestMethod(model: InspectReport, memory: MemoryEstimate): MethodSuggestion {
  const percent = (x: number) => `${Math.round(x * 100)} %`;
  if (model.sparsity >= 0.2)
    return {
      method: 'sau',
      sentence: `This model is ${percent(model.sparsity)} sparse (pruned), so SAU fits: it unlearns while keeping exactly those zeros.`,
    };
  const available = memory.availableBytes;
  const fits = (bytes: number): boolean => available === null || bytes <= available;
  if (fits(memory.fullParameterBytes))
    return {
      method: 'graddiff',
      sentence:
        'This dense model fits in memory for full-parameter training, so GradDiff (forget while keeping the retain set) is a sound start.',
    };
  // Bounded LoRA freezes the weights but materializes its sine-bounded update at full size
  // (measured: bench/RESULTS.md), so it is not always the smaller of the two.
  if (fits(memory.loraBytes))
    return {
      method: 'bounded',
      sentence: `Full-parameter training would need about ${gib(memory.fullParameterBytes)} but ${gib(available!)} is available, and bounded LoRA (about ${gib(memory.loraBytes)}) fits.`,
    };
  return {
    method: memory.loraBytes < memory.fullParameterBytes ? 'bounded' : 'graddiff',
    sentence: `Neither fits in ${gib(available!)}: full-parameter training needs about ${gib(memory.fullParameterBytes)} and bounded LoRA about ${gib(memory.loraBytes)}, so use shorter sequences, a smaller batch or a machine with more memory.`,
  };
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
