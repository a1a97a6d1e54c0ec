/** What a pruning method is: one function over the model's block linears, registered by name. */
import type { CausalLM } from '../model/architectures/types.ts';
import type { TokenSequence } from '../unlearn/batch.ts';
import type { MatrixSparsity } from './matrices.ts';
import type { SparsityTarget } from './target.ts';

export interface PruneOptions {
  readonly target: SparsityTarget;
  /** Calibration sequences (already cut to the model's context); methods that need them say so. */
  readonly calibration?: readonly TokenSequence[];
  readonly onProgress?: (label: string, done: number, total: number) => void;
}

export interface Pruner {
  readonly name: string;
  /** Whether `prune` reads activations on calibration text. */
  readonly needsCalibration: boolean;
  /** Zeroes weights of `model` in place; returns each pruned matrix's fraction of zeros. */
  prune(model: CausalLM, options: PruneOptions): Promise<MatrixSparsity[]>;
}
