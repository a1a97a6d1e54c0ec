/**
 * `prune` from paths: inputs read and checked first (bad input fails before any engine starts
 * and leaves no folder), then on the selected backend the model is loaded, pruned in place and
 * written as a complete HF folder in its source dtype, via a staging folder renamed at the end.
 */
import { rmSync } from 'node:fs';
import { PruneReport } from '../../shared/contracts.ts';
import { UserInputError } from '../../shared/errors.ts';
import { readDocuments, type ReadOptions } from '../data/documents.ts';
import { loadModelSpec } from '../model/config.ts';
import { loadModel } from '../model/load.ts';
import { writeModelFolder } from '../model/model-folder.ts';
import { Checkpoint } from '../model/safetensors/index.ts';
import { loadTokenizer } from '../model/tokenizer.ts';
import { calibrationSequences } from '../prune/calibration.ts';
import { prunerFor, type Pruner } from '../prune/index.ts';
import { parseTarget, patternText, targetFraction, type SparsityTarget } from '../prune/target.ts';
import type { TokenSequence } from '../unlearn/batch.ts';
import { hashFiles } from './inspect.ts';
import { checkOutputTarget, OutputTarget, TargetChanged } from './output-target.ts';

export interface PruneRequest {
  readonly model: string;
  readonly method: string;
  readonly sparsity?: string;
  readonly pattern?: string;
  readonly calib?: string;
  readonly out: string;
}

/** A request checked against the files: what `pruneToFolder` needs. */
export interface PruneInputs {
  readonly pruner: Pruner;
  readonly target: SparsityTarget;
  readonly calibration?: readonly TokenSequence[];
}

export async function readPruneInputs(
  request: PruneRequest,
  read: ReadOptions = {},
): Promise<PruneInputs> {
  // The output first: a target that cannot be written is found before anything is read.
  checkOutputTarget(request.out, { kind: 'folder', inputs: [request.model, request.calib] });
  const pruner = prunerFor(request.method);
  const target = parseTarget(request.sparsity, request.pattern);
  const spec = loadModelSpec(request.model);
  if (!pruner.needsCalibration) return { pruner, target };
  if (request.calib === undefined)
    throw new UserInputError(
      undefined,
      `--method ${pruner.name} needs --calib <path> (calibration text)`,
    );
  const documents = await readDocuments(request.calib, read);
  const tokenizer = loadTokenizer(request.model, spec.vocabSize);
  return {
    pruner,
    target,
    calibration: calibrationSequences(documents, tokenizer, spec, request.calib),
  };
}

export async function pruneToFolder(
  request: PruneRequest,
  inputs: PruneInputs,
  onProgress?: (label: string, done: number, total: number) => void,
): Promise<PruneReport> {
  const started = performance.now();
  const out = OutputTarget.claim(request.out, { kind: 'folder' });
  const staging = out.staging;
  let keepStaging = false;
  let loaded: ReturnType<typeof loadModel> | undefined;
  try {
    loaded = loadModel(request.model);
    const layers = await inputs.pruner.prune(loaded.model, {
      target: inputs.target,
      ...(inputs.calibration === undefined ? {} : { calibration: inputs.calibration }),
      ...(onProgress === undefined ? {} : { onProgress }),
    });
    onProgress?.('writing', 0, 1);
    rmSync(staging, { recursive: true, force: true }); // a crashed run's leftovers
    await writeModelFolder(request.model, staging, loaded.model, loaded.checkpoint.dtype);
    try {
      out.publish(staging);
    } catch (error) {
      if (error instanceof TargetChanged) keepStaging = true; // the finished result is there
      throw error;
    }
    onProgress?.('writing', 1, 1);
    return PruneReport.parse({
      method: inputs.pruner.name,
      target: targetFraction(inputs.target),
      pattern: patternText(inputs.target),
      sparsity: overallSparsity(loaded.model.params, layers),
      layers,
      calibration:
        inputs.calibration === undefined
          ? null
          : {
              sequences: inputs.calibration.length,
              tokens: inputs.calibration.reduce((n, s) => n + s.ids.length, 0),
            },
      seconds: (performance.now() - started) / 1000,
      out: request.out,
      sha256: await weightsSha256(request.out),
    });
  } finally {
    if (!keepStaging) rmSync(staging, { recursive: true, force: true });
    loaded?.model.dispose();
    out.release();
  }
}

/** Zeros over all pruned matrices, weighted by their sizes. */
function overallSparsity(
  params: ReadonlyMap<string, { readonly size: number }>,
  layers: readonly { name: string; sparsity: number }[],
): number {
  let zeros = 0;
  let total = 0;
  for (const { name, sparsity } of layers) {
    const size = params.get(name)!.size;
    zeros += Math.round(sparsity * size);
    total += size;
  }
  return total === 0 ? 0 : zeros / total;
}

async function weightsSha256(folder: string): Promise<string> {
  const checkpoint = Checkpoint.open(folder);
  try {
    return await hashFiles(checkpoint.files);
  } finally {
    checkpoint.close();
  }
}
