/**
 * What a metric family is to `evaluateModel`: a name, the optional inputs it needs (each with
 * the `skipped` entries written when that input is missing), and a step that adds its keys to
 * the metrics document. The families are listed once, in ./index.ts.
 */
import type { SkippedMetric } from '../../../shared/contracts.ts';
import type { Document, QaPair } from '../../data/documents.ts';
import type { CausalLM } from '../../model/architectures/types.ts';
import type { Tokenizer } from '../../model/tokenizer.ts';
import type { TokenStats } from '../token-stats.ts';
import type { VerbatimDocument } from '../verbatim.ts';

export const SET_NAMES = ['forget', 'retain', 'holdout'] as const;
export type SetName = (typeof SET_NAMES)[number];

/** The optional inputs of an eval (the forget set is always there). */
export type EvalInputName = 'retain' | 'holdout' | 'qa' | 'reference';

/** One scored window: a chunk of a document, as the scorer cuts it. */
export interface Window {
  readonly id: string;
  readonly tokenIds: number[];
}

/** A set's documents, its windows and their token statistics (and the reference's). */
export interface SetWork {
  readonly name: SetName;
  readonly documents: readonly Document[];
  readonly windows: Window[];
  readonly stats: TokenStats[];
  referenceStats?: TokenStats[];
  /** Per-window verbatim results (`index` = window), set by the memorization family. */
  verbatim?: VerbatimDocument[];
}

export interface EvalContext {
  readonly model: CausalLM;
  readonly tokenizer: Tokenizer;
  readonly sets: readonly SetWork[];
  readonly forget: SetWork;
  readonly qa?: readonly QaPair[];
  readonly names?: readonly string[];
  readonly hasReference: boolean;
  /** The reference model (same tokenizer), when --reference is given. */
  readonly referenceModel?: CausalLM;
  /** The document being built; `sets.<name>` entries exist once the memorization family ran. */
  readonly report: Record<string, unknown>;
  readonly skipped: SkippedMetric[];
  readonly progress: (label: string, done: number, total: number) => void;
}

export interface MetricFamily {
  readonly name: string;
  /**
   * Inputs the family cannot run without; when one is missing the family is skipped with these
   * entries (and `nullKeys` set to null in the document, for keys the contract always has).
   */
  readonly needs: readonly {
    readonly input: EvalInputName;
    readonly skipped: readonly SkippedMetric[];
    readonly nullKeys?: readonly string[];
  }[];
  run(context: EvalContext): Promise<void>;
}

/** The `sets.<name>` entry the memorization family made. */
export function setEntry(context: EvalContext, name: SetName): Record<string, unknown> {
  const sets = context.report.sets as Record<string, Record<string, unknown>>;
  return sets[name]!;
}
