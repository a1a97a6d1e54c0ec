/**
 * `eval` from paths, as both the CLI command and the worker's eval job run it: read the sets and
 * QA pairs first (bad input fails before any engine starts), then, on the selected backend, load
 * the model (and the reference), evaluate, validate the document, dispose.
 */
import { EvalReport } from '../../shared/contracts.ts';
import { readDocuments, readQaPairs, type Document, type ReadOptions } from '../data/documents.ts';
import { loadModelSpec } from '../model/config.ts';
import { loadModel } from '../model/load.ts';
import { loadTokenizer } from '../model/tokenizer.ts';
import { evaluateModel, type EvalInputs } from './eval.ts';
import { hashFiles } from './inspect.ts';

export interface EvalRequest {
  readonly model: string;
  readonly forget: string;
  readonly retain?: string;
  readonly holdout?: string;
  readonly qa?: string;
  readonly reference?: string;
  readonly names?: readonly string[];
}

export type EvalProgress = (label: string, done: number, total: number) => void;

/**
 * Thrown from inside an evaluation whose signal was aborted, at its next progress point (after
 * a batch: a few seconds at most), so that a cancel does not wait minutes for the metrics.
 */
export class EvaluationCancelled extends Error {
  override readonly name = 'EvaluationCancelled';
  constructor() {
    super('cancelled during the evaluation');
  }
}

/** The documents and QA pairs of a request, read and checked (before any engine starts). */
export interface EvalFiles {
  readonly sets: EvalInputs['sets'];
  readonly qa?: Awaited<ReturnType<typeof readQaPairs>>;
  readonly names?: readonly string[];
}

export async function readEvalFiles(
  request: EvalRequest,
  options: ReadOptions = {},
): Promise<EvalFiles> {
  const sets: EvalInputs['sets'] & Record<string, readonly Document[]> = {
    forget: await readDocuments(request.forget, options),
  };
  if (request.retain !== undefined) sets.retain = await readDocuments(request.retain, options);
  if (request.holdout !== undefined) sets.holdout = await readDocuments(request.holdout, options);
  const qa = request.qa === undefined ? undefined : await readQaPairs(request.qa, options);
  const names = request.names?.map((n) => n.trim()).filter((n) => n !== '');
  return {
    sets,
    ...(qa === undefined ? {} : { qa }),
    ...(names === undefined || names.length === 0 ? {} : { names }),
  };
}

/** Loads the model (and reference) of `request` and evaluates `files` on the current backend. */
export async function evaluateFiles(
  request: EvalRequest,
  files: EvalFiles,
  onProgress?: EvalProgress,
  signal?: AbortSignal,
): Promise<EvalReport> {
  if (signal?.aborted) throw new EvaluationCancelled();
  const tokenizer = loadTokenizer(request.model, loadModelSpec(request.model).vocabSize);
  const loaded = loadModel(request.model);
  let reference: { model: typeof loaded.model; tokenizer: typeof tokenizer } | undefined;
  try {
    if (request.reference !== undefined) {
      const refTokenizer = loadTokenizer(
        request.reference,
        loadModelSpec(request.reference).vocabSize,
      );
      reference = { model: loadModel(request.reference).model, tokenizer: refTokenizer };
    }
    const document = await evaluateModel(
      {
        model: {
          model: loaded.model,
          tokenizer,
          sha256: await hashFiles(loaded.checkpoint.files),
          architecture: loaded.spec.modelType,
        },
        ...files,
        ...(reference === undefined ? {} : { reference }),
      },
      {
        onProgress: (label, done, total) => {
          if (signal?.aborted) throw new EvaluationCancelled(); // the model is disposed below
          onProgress?.(label, done, total);
        },
      },
    );
    return EvalReport.parse(document);
  } finally {
    loaded.model.dispose();
    reference?.model.dispose();
  }
}
