/**
 * How much memory a run on a model will need, from the model's shape alone (a pure function,
 * so the numbers are checkable by hand). tfjs holds float32 only (DESIGN.md §3), so every
 * tensor costs 4 bytes per element whatever the checkpoint's dtype.
 *
 * - full-parameter training (AdamW): weights + gradients + two moments = 16 B per parameter,
 *   plus activations;
 * - LoRA (bounded): frozen weights 4 B per parameter, plus adapters on each block's two MLP
 *   projections (rank r: r·(h + 4h) elements each way, with their gradients and moments,
 *   16 B per element), plus activations;
 * - evaluation: weights plus the forward activations of one batch.
 *
 * Activations kept for the backward pass are estimated as 16 hidden-sized vectors per token per
 * layer (attention and MLP inputs and outputs, the 4h MLP intermediate, layer norms) plus the
 * logits, their softmax and its gradient (3 vocabulary-sized vectors per token). The forward
 * alone keeps about a quarter of the per-layer part and one logits vector. Attention scores
 * (T² per head) are left out: at the sequence lengths this app trains on they are smaller than
 * the logits. An estimate, not a bound: say so in the UI.
 */
import type { MemoryEstimate } from '../../shared/app-api.ts';
import type { InspectReport } from '../../shared/contracts.ts';

const FLOAT = 4;

export interface EstimateInputs {
  readonly batchSize: number;
  /** Tokens per sequence (the config's maxLength). */
  readonly sequenceLength: number;
  /** LoRA rank. */
  readonly rank: number;
  /** GPU memory when the engine runs on a GPU and the driver reports it. */
  readonly gpuMemoryBytes: number | null;
  readonly onGpu: boolean;
  readonly systemMemoryBytes: number;
}

export function estimateMemory(model: InspectReport, inputs: EstimateInputs): MemoryEstimate {
  const { layers, hidden, vocab, parameters } = model;
  const tokens = inputs.batchSize * inputs.sequenceLength;
  const trainActivations = FLOAT * tokens * (16 * layers * hidden + 3 * vocab);
  const evalActivations = FLOAT * tokens * (4 * layers * hidden + vocab);
  const adapterElements = layers * 2 * inputs.rank * (hidden + 4 * hidden);
  return {
    fullParameterBytes: 16 * parameters + trainActivations,
    loraBytes: FLOAT * parameters + 16 * adapterElements + trainActivations,
    evalBytes: FLOAT * parameters + evalActivations,
    availableBytes: inputs.onGpu ? inputs.gpuMemoryBytes : inputs.systemMemoryBytes,
    availableKind: inputs.onGpu ? 'gpu' : 'cpu',
    basis:
      `float32 throughout; full = 16 B/param (weights, grads, 2 AdamW moments) + activations; ` +
      `LoRA = 4 B/param + rank-${inputs.rank} MLP adapters at 16 B/element + activations; ` +
      `eval = 4 B/param + forward activations; activations ≈ 4 B × batch ${inputs.batchSize} × ` +
      `seq ${inputs.sequenceLength} × (16·layers·hidden + 3·vocab)`,
  };
}

export interface MethodSuggestion {
  readonly method: 'sau' | 'bounded' | 'graddiff';
  readonly sentence: string;
}

/** A sparse model suggests SAU (it keeps the zeros); a large one bounded LoRA; else GradDiff. */
export function suggestMethod(model: InspectReport, memory: MemoryEstimate): MethodSuggestion {
  const percent = (x: number) => `${Math.round(x * 100)} %`;
  if (model.sparsity >= 0.2)
    return {
      method: 'sau',
      sentence: `This model is ${percent(model.sparsity)} sparse (pruned), so SAU fits: it unlearns while keeping exactly those zeros.`,
    };
  const tooBig =
    memory.availableBytes !== null && memory.fullParameterBytes > memory.availableBytes;
  if (model.parameters >= 1e9 || tooBig)
    return {
      method: 'bounded',
      sentence: tooBig
        ? `Full-parameter training would need about ${gib(memory.fullParameterBytes)} but ${gib(memory.availableBytes!)} is available, so bounded LoRA trains small adapters instead.`
        : `With ${(model.parameters / 1e9).toFixed(1)} billion parameters, bounded LoRA trains small adapters instead of every weight and needs far less memory.`,
    };
  return {
    method: 'graddiff',
    sentence:
      'This dense model fits in memory for full-parameter training, so GradDiff (forget while keeping the retain set) is a sound start.',
  };
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
