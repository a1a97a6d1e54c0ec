/**
 * The model: inspection with a memory estimate, pruning for SAU.
 * Part of the app API (../app-api.ts), which holds the channel table.
 */
import { z } from 'zod';
import { InspectReport } from '../contracts.ts';
import { path } from './primitives.ts';

export const MemoryEstimate = z.object({
  /** Bytes a run of each kind needs: full-parameter (AdamW: weights, grads, 2 moments, activations) and LoRA. */
  fullParameterBytes: z.number().nonnegative(),
  loraBytes: z.number().nonnegative(),
  evalBytes: z.number().nonnegative(),
  /** Memory the run would use: GPU memory on a GPU backend, else system memory. */
  availableBytes: z.number().nonnegative().nullable(),
  availableKind: z.enum(['gpu', 'cpu']),
  /** How the numbers were computed, one line. */
  basis: z.string(),
});
export type MemoryEstimate = z.infer<typeof MemoryEstimate>;

export const ModelInspectRequest = z.strictObject({ path });
export const ModelInfo = z.object({
  path: z.string(),
  inspect: InspectReport,
  memory: MemoryEstimate,
  /** Method suggestions from the model's shape: sparse → sau, large → bounded. */
  suggestedMethod: z.string(),
  suggestion: z.string(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const PruneMethod = z.enum(['magnitude', 'wanda']);
export const ModelPruneRequest = z
  .strictObject({
    path,
    method: PruneMethod,
    /** Unstructured fraction in (0, 1) … */
    sparsity: z.number().gt(0).lt(1).optional(),
    /** … or an N:M pattern such as "2:4". */
    pattern: z
      .string()
      .regex(/^\d{1,3}:\d{1,3}$/)
      .optional(),
    /** Calibration documents for Wanda. */
    calib: path.optional(),
    /** Default: a new folder under the workspace's models/. */
    out: path.optional(),
  })
  .refine((r) => (r.sparsity === undefined) !== (r.pattern === undefined), {
    message: 'give exactly one of sparsity and pattern',
  });
