/**
 * Reads a finished audit run folder (docs/audit.md) for the report: the manifest, both metrics
 * documents and the training log, each checked against its shared zod schema, plus their raw
 * bytes (they are attached to the PDF as they are on disk, so a reader can hash them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { RunManifest } from '../../shared/audit.ts';
import { EvalReport } from '../../shared/contracts.ts';
import { UserInputError } from '../../shared/errors.ts';
import { TrainingLog } from '../../shared/training.ts';

/** The run-folder files the report reads and attaches, in attachment order. */
export const RUN_FILES = [
  'manifest.json',
  'metrics-before.json',
  'metrics-after.json',
  'training.json',
] as const;
export type RunFile = (typeof RUN_FILES)[number];

export interface FinishedRun {
  readonly dir: string;
  readonly manifest: RunManifest;
  readonly before: EvalReport;
  readonly after: EvalReport;
  readonly training: TrainingLog;
  /** The files' bytes as read, by name. */
  readonly raw: Readonly<Record<RunFile, Buffer>>;
}

/** Throws a UserInputError (exit 2) naming the file when `dir` is not a finished audit run. */
export function loadFinishedRun(dir: string): FinishedRun {
  if (!existsSync(dir)) throw new UserInputError(dir, 'no such run folder');
  const raw = {} as Record<RunFile, Buffer>;
  for (const name of RUN_FILES) {
    const path = join(dir, name);
    if (!existsSync(path))
      throw new UserInputError(dir, `not a finished audit run: ${name} is missing`);
    raw[name] = readFileSync(path);
  }
  const manifest = parseFile(dir, 'manifest.json', raw, RunManifest);
  if (manifest.state !== 'done')
    throw new UserInputError(
      join(dir, 'manifest.json'),
      `not a finished audit run: state is '${manifest.state}', not 'done'`,
    );
  return {
    dir,
    manifest,
    before: parseFile(dir, 'metrics-before.json', raw, EvalReport),
    after: parseFile(dir, 'metrics-after.json', raw, EvalReport),
    training: parseFile(dir, 'training.json', raw, TrainingLog),
    raw,
  };
}

function parseFile<T extends z.ZodType>(
  dir: string,
  name: RunFile,
  raw: Record<RunFile, Buffer>,
  schema: T,
): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(raw[name].toString('utf8'));
  } catch {
    throw new UserInputError(join(dir, name), 'is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(top level)';
    throw new UserInputError(
      join(dir, name),
      `does not match its schema at ${where}: ${issue?.message}`,
    );
  }
  return parsed.data;
}
