/**
 * Which linear projections Bounded PEU wraps: the MLP of every block, attention untouched
 * (ALGORITHMS.md, "Bounded PEU"). Gradient difference drives the MLP weights to grow without
 * bound; that is where the bound is needed.
 */
import type { CausalLM } from '../architectures/types.ts';
import type { ArchitectureFamily } from '../config.ts';

/** A weight parameter's HF name for each family's MLP projections. */
const MLP_WEIGHTS: Readonly<Record<ArchitectureFamily, RegExp>> = {
  // GPT-2 `Conv1D`: c_fc C → 4C, c_proj 4C → C. `attn.c_proj` shares the short name, hence `mlp.`.
  gpt2: /^transformer\.h\.\d+\.mlp\.(c_fc|c_proj)\.weight$/,
  // Llama, Mistral, Qwen2 SwiGLU: gate/up C → I, down I → C.
  llama: /^model\.layers\.\d+\.mlp\.(gate_proj|up_proj|down_proj)\.weight$/,
};

/** One projection an adapter wraps, with its shapes in HF terms (nn.Linear: d_out × d_in). */
export interface LoraTarget {
  /** HF name of the weight parameter, `transformer.h.0.mlp.c_fc.weight`. */
  readonly weight: string;
  /** The module path PEFT names the adapter after, `transformer.h.0.mlp.c_fc`. */
  readonly module: string;
  /**
   * The module path below the layer index, `mlp.c_fc`: what `target_modules` lists. PEFT matches
   * a list entry as a suffix of the module path, so plain `c_proj` would catch `attn.c_proj` too.
   */
  readonly suffix: string;
  readonly dIn: number;
  readonly dOut: number;
}

/** HF names of the MLP projection weights of every block, in parameter order. */
export function mlpTargets(model: CausalLM): string[] {
  const pattern = MLP_WEIGHTS[model.spec.family];
  return [...model.params.keys()].filter((name) => pattern.test(name));
}

/** Shapes and names of `weights` in `model`; an unknown or non-matrix name is an error. */
export function describeTargets(model: CausalLM, weights: readonly string[]): LoraTarget[] {
  return weights.map((weight) => {
    const variable = model.params.get(weight);
    if (!variable || variable.rank !== 2 || !weight.endsWith('.weight')) {
      throw new Error(
        `LoRA target ${weight} is not a linear weight of this ${model.spec.modelType} model; ` +
          `its MLP weights are ${mlpTargets(model).join(', ')}`,
      );
    }
    const module = weight.slice(0, -'.weight'.length);
    // Every block linear is kept [in, out] internally (GPT-2 Conv1D as stored, nn.Linear transposed).
    const [dIn, dOut] = variable.shape as [number, number];
    const suffix = module.replace(/^.*?\.(?:h|layers)\.\d+\./, '');
    return { weight, module, suffix, dIn, dOut };
  });
}
