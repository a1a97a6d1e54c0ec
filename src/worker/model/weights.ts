/**
 * Checkpoint tensors → model parameters. Every parameter the architecture declares must be
 * present with the shape config.json implies, checked before anything is read; errors name the
 * tensor and the file. The quirks, each handled where the architecture declares it:
 * - GPT-2 bodies are saved with (GPT2LMHeadModel) or without (GPT2Model) `transformer.`: aliases.
 * - GPT-2's Conv1D weights are already [in, out]; Llama's nn.Linear weights are [out, in] and are
 *   transposed on load (`ParamSpec.transposed`).
 * - Buffers older transformers saved (GPT-2 `attn.bias`/`attn.masked_bias`, rotary `inv_freq`)
 *   are skipped; so is any other tensor the architecture does not use, as HF does, and it is
 *   reported in `unused`.
 * - `lm_head.weight` is absent when the head is tied to the embedding, and then not a parameter.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserInputError } from '../../shared/errors.ts';
import { transpose2d } from './architectures/base.ts';
import { architectureFor } from './architectures/index.ts';
import { internalShape, type Architecture, type ParamSpec } from './architectures/types.ts';
import type { ModelSpec } from './config.ts';
import { Checkpoint, INDEX_FILE, isFloatDtype, type FloatDtype } from './safetensors/index.ts';

export interface LoadedParams {
  /** Canonical HF name → variable, in the architecture's layout. */
  readonly params: Map<string, tf.Variable>;
  /** The float dtype most parameter elements are stored in. */
  readonly dtype: FloatDtype;
  /** Checkpoint tensors that are neither parameters nor known buffers (HF: "weights not used"). */
  readonly unused: string[];
}

export function loadParams(
  checkpoint: Checkpoint,
  spec: ModelSpec,
  architecture: Architecture = architectureFor(spec.family),
): LoadedParams {
  const layout = architecture.parameters(spec);
  const keys = resolveKeys(checkpoint, spec, architecture, layout);
  const params = new Map<string, tf.Variable>();
  try {
    for (const p of layout) {
      const key = keys.get(p.name)!;
      const stored = checkpoint.readFloat32(key);
      const data = p.transposed ? transpose2d(stored, p.shape[0]!, p.shape[1]!) : stored;
      const initial = tf.tensor(data, internalShape(p), 'float32');
      params.set(p.name, tf.variable(initial));
      initial.dispose(); // the variable keeps its own reference to the data
    }
  } catch (error) {
    for (const v of params.values()) v.dispose();
    throw error;
  }
  const used = new Set(keys.values());
  const unused = checkpoint.names.filter(
    (n) => !used.has(n) && !architecture.buffers.some((b) => b.test(n)),
  );
  return { params, dtype: dominantDtype(checkpoint, [...used]), unused };
}

/** A model folder's checkpoint with every declared parameter's key resolved (`resolveKeys`). */
export interface StoredParameters {
  readonly checkpoint: Checkpoint;
  /** The architecture's parameters (a tied head is not a separate one). */
  readonly layout: readonly ParamSpec[];
  /** Canonical name → checkpoint key. */
  readonly keys: ReadonlyMap<string, string>;
}

/**
 * Opens `folder`'s checkpoint, resolves its parameters' keys against `spec`, runs `read` on
 * them and closes it again: reading stored bits without building tensors (inspect's scans).
 */
export function readStoredParameters<T>(
  folder: string,
  spec: ModelSpec,
  read: (stored: StoredParameters) => T,
): T {
  const checkpoint = Checkpoint.open(folder);
  try {
    const architecture = architectureFor(spec.family);
    const layout = architecture.parameters(spec);
    return read({ checkpoint, layout, keys: resolveKeys(checkpoint, spec, architecture, layout) });
  } finally {
    checkpoint.close();
  }
}

/** Canonical name → checkpoint key, after checking presence, dtype and shape of every parameter. */
export function resolveKeys(
  checkpoint: Checkpoint,
  spec: ModelSpec,
  architecture: Architecture,
  layout: readonly ParamSpec[],
): Map<string, string> {
  const where =
    checkpoint.files.length === 1 ? checkpoint.files[0]! : join(checkpoint.folder, INDEX_FILE);
  const keys = new Map<string, string>();
  for (const p of layout) {
    const candidates = [p.name, ...architecture.aliases(p.name)];
    const key = candidates.find((k) => checkpoint.has(k));
    if (key === undefined) throw new UserInputError(where, missingMessage(p, candidates, spec));
    const entry = checkpoint.entry(key)!;
    const file = checkpoint.fileOf(key);
    if (!isFloatDtype(entry.dtype)) {
      throw new UserInputError(
        file,
        `tensor "${key}" has dtype ${entry.dtype}; weights must be F32, F16 or BF16`,
      );
    }
    if (entry.shape.join() !== p.shape.join()) {
      throw new UserInputError(
        file,
        `tensor "${key}" has shape [${entry.shape.join(', ')}] but config.json (model_type ${spec.modelType}) implies [${p.shape.join(', ')}]`,
      );
    }
    keys.set(p.name, key);
  }
  return keys;
}

function missingMessage(p: ParamSpec, candidates: string[], spec: ModelSpec): string {
  if (p.name === 'lm_head.weight') {
    return 'missing tensor "lm_head.weight": config.json says tie_word_embeddings is false, so the head must be stored (set it to true if the head is the token embedding)';
  }
  const also =
    candidates.length > 1
      ? ` (or ${candidates
          .slice(1)
          .map((c) => `"${c}"`)
          .join(', ')})`
      : '';
  return `missing tensor "${p.name}"${also} that config.json (model_type ${spec.modelType}, ${spec.layers} layers) requires; the weights do not belong to this config`;
}

function dominantDtype(checkpoint: Checkpoint, keys: readonly string[]): FloatDtype {
  const counts = new Map<FloatDtype, number>();
  for (const key of keys) {
    const e = checkpoint.entry(key)!;
    const dtype = e.dtype as FloatDtype; // checked by resolveKeys
    counts.set(dtype, (counts.get(dtype) ?? 0) + e.shape.reduce((a, b) => a * b, 1));
  }
  return [...counts].reduce((best, c) => (c[1] > best[1] ? c : best), ['F32', -1] as [
    FloatDtype,
    number,
  ])[0];
}
