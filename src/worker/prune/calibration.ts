/**
 * Calibration text for activation-aware pruning: documents tokenized and cut into windows of
 * at most CALIBRATION.tokens tokens (never more than the model's context), the first
 * CALIBRATION.sequences windows in document order. Wanda used 128 × 2048 tokens of C4 (§4);
 * the cap keeps a CPU run to seconds, and the input norms settle well before it on small models.
 */
import { UserInputError } from '../../shared/errors.ts';
import type { Document } from '../data/documents.ts';
import type { ModelSpec } from '../model/config.ts';
import type { Tokenizer } from '../model/tokenizer.ts';
import { chunkTokens } from '../tasks/score.ts';
import type { TokenSequence } from '../unlearn/batch.ts';

export const CALIBRATION = { tokens: 128, sequences: 32 } as const;

export function calibrationSequences(
  documents: readonly Document[],
  tokenizer: Tokenizer,
  spec: ModelSpec,
  source: string,
): TokenSequence[] {
  const maxLength = Math.min(CALIBRATION.tokens, spec.maxPositions, spec.slidingWindow ?? Infinity);
  const sequences: TokenSequence[] = [];
  for (const doc of documents) {
    for (const [chunk, ids] of chunkTokens(tokenizer.encode(doc.text), maxLength).entries()) {
      if (ids.length === 0) continue;
      sequences.push({ id: `${doc.id}#${chunk}`, ids });
      if (sequences.length === CALIBRATION.sequences) return sequences;
    }
  }
  if (sequences.length === 0) throw new UserInputError(source, 'no text to calibrate on');
  return sequences;
}
