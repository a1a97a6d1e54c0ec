/**
 * JSON lines (https://jsonlines.org): one record per line, blank lines skipped. A document
 * record has a string `text`, or a `question` and `answer` (a QA pair, read as the question
 * followed by the answer). Ids are `<file>:<line>`, 1-based, so they stay put when other lines
 * are edited.
 *
 * A QA record may also carry TOFU's probe fields (`locuslab/tofu` data, as its
 * `evaluate_util.py` reads them): `paraphrased_answer`, the same fact in other words, and
 * `perturbed_answers`, same-format false answers. Both are optional; the truth ratio
 * (docs/metrics.md) needs both.
 */
import { z } from 'zod';
import { UserInputError } from '../../../shared/errors.ts';
import type { Document, DocumentFormat } from './format.ts';
import { decodeText, requireContent } from './text.ts';

export interface QaPair {
  readonly id: string;
  readonly question: string;
  readonly answer: string;
  /** TOFU's `paraphrased_answer`: the answer's fact in other words. */
  readonly paraphrasedAnswer?: string;
  /** TOFU's `perturbed_answers`: false answers in the paraphrase's format. */
  readonly perturbedAnswers?: readonly string[];
}

const NonBlank = z.string().refine((s) => s.trim() !== '', 'must not be blank');

/** The optional TOFU probe fields of a QA record (other keys are ignored). */
export const QaProbeFields = z.object({
  paraphrased_answer: NonBlank.optional().describe(
    'TOFU paraphrased_answer: the same fact as `answer`, in other words',
  ),
  perturbed_answers: z
    .array(NonBlank)
    .min(1)
    .optional()
    .describe('TOFU perturbed_answers: same-format false answers (truth ratio)'),
});

interface JsonLine {
  readonly line: number;
  readonly record: Record<string, unknown>;
}

function parseLines(bytes: Uint8Array, path: string): JsonLine[] {
  const text = requireContent(decodeText(bytes, path), path);
  const lines: JsonLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch {
      throw new UserInputError(path, `line ${i + 1} is not valid JSON; fix or remove the line`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw new UserInputError(path, `line ${i + 1} is not a JSON object`);
    lines.push({ line: i + 1, record: record as Record<string, unknown> });
  });
  return lines;
}

function qaPair({ line, record }: JsonLine, path: string, id: string): QaPair {
  const { question, answer } = record;
  if (typeof question !== 'string' || question.trim() === '')
    throw new UserInputError(path, `line ${line} has no string "question" field`);
  if (typeof answer !== 'string' || answer.trim() === '')
    throw new UserInputError(
      path,
      `line ${line} has a "question" but no string "answer" field; add the answer or remove the line`,
    );
  const probes = QaProbeFields.safeParse(record);
  if (!probes.success) {
    const issue = probes.error.issues[0]!;
    throw new UserInputError(
      path,
      `line ${line}: "${issue.path.join('.')}" ${issue.message}; it must be ${
        issue.path[0] === 'perturbed_answers'
          ? 'a non-empty array of non-blank strings'
          : 'a non-blank string'
      } or absent`,
    );
  }
  const { paraphrased_answer: paraphrasedAnswer, perturbed_answers: perturbedAnswers } =
    probes.data;
  return {
    id: `${id}:${line}`,
    question,
    answer,
    ...(paraphrasedAnswer === undefined ? {} : { paraphrasedAnswer }),
    ...(perturbedAnswers === undefined ? {} : { perturbedAnswers }),
  };
}

export const jsonLines: DocumentFormat = {
  extensions: ['.jsonl'],
  read(bytes, path, id) {
    const docs = parseLines(bytes, path).map((entry): Document => {
      const { text } = entry.record;
      if (typeof text === 'string') return { id: `${id}:${entry.line}`, text };
      if ('question' in entry.record) {
        const pair = qaPair(entry, path, id);
        return { id: pair.id, text: `${pair.question}\n${pair.answer}` };
      }
      throw new UserInputError(
        path,
        `line ${entry.line} has no string "text" field (nor "question" and "answer")`,
      );
    });
    return Promise.resolve(docs);
  },
};

export function readQaLines(bytes: Uint8Array, path: string, id: string): QaPair[] {
  return parseLines(bytes, path).map((entry) => qaPair(entry, path, id));
}
