/**
 * The adapter as PEFT saves one (`save_pretrained` of a `LoraModel`): `adapter_model.safetensors`
 * with `base_model.model.<module>.lora_A.weight` [r, d_in] and `.lora_B.weight` [d_out, r], and
 * `adapter_config.json`. With `bound: "none"` PEFT loads it as the same model; a sine or tanh
 * adapter needs the formula under `nepenthe`, which PEFT does not know.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelSpec } from '../config.ts';
import { writeSafetensors, type TensorToWrite } from '../safetensors/index.ts';
import type { LoraTarget } from './targets.ts';

export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';

export type BoundFunction = 'sine' | 'tanh' | 'none';

/** What the update is, in the words a reader of the config needs to rebuild it. */
export function scalingFormula(bound: BoundFunction): string {
  if (bound === 'none') return 'W = W0 + (lora_alpha / r) * B @ A';
  const f = bound === 'sine' ? 'sin' : 'tanh';
  return `W = W0 + (lora_alpha / r) * ${f}(omega * B @ A) / sqrt(d_in)`;
}

export interface AdapterDescription {
  readonly spec: ModelSpec;
  readonly targets: readonly LoraTarget[];
  readonly rank: number;
  readonly alpha: number;
  readonly omega: number;
  readonly bound: BoundFunction;
  readonly seed: number;
}

/** `adapter_config.json`: PEFT's LoraConfig fields, and ours under `nepenthe`. */
export function adapterConfig(
  d: AdapterDescription,
  baseModel: string | null = null,
): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: d.rank,
    lora_alpha: d.alpha,
    lora_dropout: 0,
    bias: 'none',
    target_modules: [...new Set(d.targets.map((t) => t.suffix))],
    // GPT-2's Conv1D stores [in, out]; PEFT needs to be told (it warns and sets it otherwise).
    fan_in_fan_out: d.spec.family === 'gpt2',
    inference_mode: true,
    nepenthe: {
      method: 'bounded-peu',
      bound: d.bound,
      omega: d.omega,
      scaling: scalingFormula(d.bound),
      seed: d.seed,
      model_type: d.spec.modelType,
      family: d.spec.family,
    },
  };
}

/** PEFT's tensor name for an adapter matrix of `module`. */
export function peftTensorName(module: string, matrix: 'lora_A' | 'lora_B'): string {
  return `base_model.model.${module}.${matrix}.weight`;
}

/** Writes both files into `folder` (created if missing); returns their paths. */
export function writeAdapterFolder(
  folder: string,
  tensors: readonly TensorToWrite[],
  config: Record<string, unknown>,
): string[] {
  mkdirSync(folder, { recursive: true });
  const weights = join(folder, ADAPTER_WEIGHTS_FILE);
  writeSafetensors(weights, tensors, 'F32', { format: 'pt' });
  const configPath = join(folder, ADAPTER_CONFIG_FILE);
  writeFileSync(`${configPath}.partial`, `${JSON.stringify(config, null, 2)}\n`);
  renameSync(`${configPath}.partial`, configPath); // never a half-written config
  return [weights, configPath];
}
