/**
 * Golden numerics: the architectures against PyTorch references of HF's modeling code
 * (tests/fixtures/make_golden.py) — logits, losses and the gradient of every parameter.
 *
 * Tolerance, per tensor (a = ours, b = golden, both float32; the golden is float64 math on the
 * stored weights, rounded once):
 *   ‖a − b‖₂ / ‖b‖₂ ≤ 1e-4                                  (norm-relative), and
 *   |aᵢ − bᵢ| ≤ 1e-4 · (|bᵢ| + rms(b))  for every element i   (elementwise).
 * The elementwise bound catches a single wrong row or position that the norm would average
 * away; the rms(b) term keeps elements near zero from demanding more than float32 can give.
 * float32 forward and backward land near 1e-6 on every backend; 1e-4 leaves room for summation
 * order, never for a wrong formula (a dropped bias or a mis-scaled RoPE band is > 1e-2).
 */
import { join } from 'node:path';
import { SafetensorsFile } from '../../src/worker/model/safetensors/index.ts';

export const TOLERANCE = 1e-4;
export const FIXTURES = ['gpt2-tiny', 'llama-gqa-tiny', 'qwen2-tiny'] as const;
export type Fixture = (typeof FIXTURES)[number];
export const fixtureFolder = (name: Fixture): string =>
  join(import.meta.dirname, '..', 'fixtures', 'golden', name);

export interface Golden {
  readonly shape: [number, number];
  readonly ids: Int32Array;
  readonly mask: Float32Array;
  readonly logits: Float32Array;
  readonly loss: number;
  readonly lossUnmasked: number;
  /** d loss / d parameter, HF name → HF layout. */
  readonly grads: ReadonlyMap<string, Float32Array>;
}

export function readGolden(name: Fixture): Golden {
  const file = SafetensorsFile.open(join(fixtureFolder(name), 'golden.safetensors'));
  try {
    const grads = new Map(
      file.names.filter((n) => n.startsWith('grad.')).map((n) => [n.slice(5), file.readFloat32(n)]),
    );
    return {
      shape: file.entry('input_ids')!.shape as [number, number],
      ids: Int32Array.from(file.readFloat32('input_ids')),
      mask: file.readFloat32('attention_mask'),
      logits: file.readFloat32('logits'),
      loss: file.readFloat32('loss')[0]!,
      lossUnmasked: file.readFloat32('loss_unmasked')[0]!,
      grads,
    };
  } finally {
    file.close();
  }
}

export interface Errors {
  /** ‖a − b‖ / ‖b‖ */
  readonly norm: number;
  /** maxᵢ |aᵢ − bᵢ| / (|bᵢ| + rms(b)) */
  readonly element: number;
}

export function relativeErrors(actual: ArrayLike<number>, expected: ArrayLike<number>): Errors {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} != ${expected.length}`);
  let diff2 = 0;
  let ref2 = 0;
  for (let i = 0; i < expected.length; i++) {
    diff2 += (actual[i]! - expected[i]!) ** 2;
    ref2 += expected[i]! ** 2;
  }
  const rms = Math.sqrt(ref2 / expected.length);
  let element = 0;
  for (let i = 0; i < expected.length; i++) {
    element = Math.max(
      element,
      Math.abs(actual[i]! - expected[i]!) / (Math.abs(expected[i]!) + rms),
    );
  }
  return { norm: Math.sqrt(diff2) / Math.sqrt(ref2), element };
}
