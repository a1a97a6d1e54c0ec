/**
 * The JSON documents the `nepenthe` command prints (DESIGN.md §5). Other tools parse these, so
 * the shapes are fixed here once and every command validates what it prints against them.
 */
import { z } from 'zod';

export const BackendName = z.enum(['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendName>;

export const InspectReport = z.object({
  architecture: z.string(),
  parameters: z.number().int().nonnegative(),
  layers: z.number().int().positive(),
  hidden: z.number().int().positive(),
  vocab: z.number().int().positive(),
  dtype: z.enum(['float32', 'float16', 'bfloat16']),
  sparsity: z.number().min(0).max(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type InspectReport = z.infer<typeof InspectReport>;

export const ScoredDocument = z.object({
  id: z.string(),
  tokenIds: z.array(z.number().int().nonnegative()),
  /** logprobs[i] = log P(tokenIds[i] | tokenIds[<i]); logprobs[0] is null. */
  logprobs: z.array(z.number().nullable()),
  meanNll: z.number().nullable(),
});
export const ScoreReport = z.object({ documents: z.array(ScoredDocument) });
export type ScoredDocument = z.infer<typeof ScoredDocument>;
export type ScoreReport = z.infer<typeof ScoreReport>;

export const GenerateReport = z.object({
  promptIds: z.array(z.number().int().nonnegative()),
  tokenIds: z.array(z.number().int().nonnegative()),
  text: z.string(),
});
export type GenerateReport = z.infer<typeof GenerateReport>;

export const BenchReport = z.object({
  backend: z.string(),
  shape: z.string(),
  trainTokensPerSecond: z.number().nonnegative(),
  evalTokensPerSecond: z.number().nonnegative(),
  peakRssBytes: z.number().int().nonnegative(),
});
export type BenchReport = z.infer<typeof BenchReport>;
