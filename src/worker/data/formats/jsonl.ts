/**
 * JSON lines (https://jsonlines.org): one record per line, blank lines skipped. A document
 * record has a string `text`, or a `question` and `answer` (a QA pair, read as the question
 * followed by the answer). Ids are `<file>:<line>`, 1-based, so they stay put when other lines
 * are edited.
 */
import { UserInputError } from '../../../shared/errors.ts';
import type { Document, DocumentFormat } from './format.ts';
import { decodeText, requireContent } from './text.ts';

export interface QaPair {
  readonly id: string;
  readonly question: string;
  readonly answer: string;
}

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
  return { id: `${id}:${line}`, question, answer };
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
