/**
 * One handler per job kind: the worker's side of each CLI command. Each re-checks its inputs
 * (the worker is a boundary: a caller that skipped the CLI's checks gets the same bad-input
 * errors), starts the engine, runs the task, and returns the result the protocol promises.
 */
import { AuditResult } from '../../shared/audit.ts';
import {
  EvalReport,
  GenerateReport,
  PruneReport,
  ScoreReport,
  InspectReport,
} from '../../shared/contracts.ts';
import { UnlearnReport } from '../../shared/training.ts';
import type { JobKind, JobOf, ResultOf } from '../../shared/worker-protocol.ts';
import { readDocuments } from '../data/documents.ts';
import { greedyGenerate } from '../model/generate.ts';
import { EvaluationCancelled, evaluateFiles, readEvalFiles } from '../tasks/eval-files.ts';
import { inspectModel } from '../tasks/inspect.ts';
import { pruneToFolder, readPruneInputs } from '../tasks/prune.ts';
import { scoreDocuments } from '../tasks/score.ts';
import { readUnlearnInputs, runUnlearning } from '../tasks/unlearn.ts';
import { runAuditTask } from './audit.ts';
import { describeEngine } from './describe.ts';
import { JobCancelled, type JobContext } from './context.ts';
import { evalTensorBytes, loadModelAndTokenizer, startEngine } from './engine.ts';

/** Reading documents reported as the job's progress. */
const reading =
  (context: JobContext) =>
  (label: string, done: number, total: number): void =>
    context.progress(label, done, total);

type Handler<K extends JobKind> = (job: JobOf<K>, context: JobContext) => Promise<ResultOf<K>>;

export const HANDLERS: { readonly [K in JobKind]: Handler<K> } = {
  async inspect({ request }) {
    return InspectReport.parse(await inspectModel(request.model));
  },

  async score({ request }, context) {
    const documents = await readDocuments(request.data, { onProgress: reading(context) });
    await startEngine(request.backend, context, evalTensorBytes(request.model, request.maxLength));
    const { model, tokenizer } = loadModelAndTokenizer(request.model, context);
    try {
      const scored = await scoreDocuments(model, tokenizer, documents, {
        ...(request.maxLength === undefined ? {} : { maxLength: request.maxLength }),
        onProgress: (done, total) => context.progress('scoring', done, total),
      });
      return ScoreReport.parse({ documents: scored });
    } finally {
      model.dispose();
    }
  },

  async generate({ request }, context) {
    await startEngine(request.backend, context, evalTensorBytes(request.model));
    const { model, tokenizer } = loadModelAndTokenizer(request.model, context);
    try {
      const promptIds = tokenizer.encode(request.prompt);
      const stop = tokenizer.eosId === null ? [] : [tokenizer.eosId];
      const tokenIds = await greedyGenerate(model, promptIds, request.maxNewTokens, stop);
      return GenerateReport.parse({ promptIds, tokenIds, text: tokenizer.decode(tokenIds) });
    } finally {
      model.dispose();
    }
  },

  async eval({ request }, context) {
    const files = await readEvalFiles(request, { onProgress: reading(context) });
    await startEngine(request.backend, context, evalTensorBytes(request.model));
    try {
      return EvalReport.parse(
        await evaluateFiles(request, files, context.progress, context.signal),
      );
    } catch (error) {
      if (error instanceof EvaluationCancelled) throw new JobCancelled(error.message);
      throw error;
    }
  },

  async prune({ request }, context) {
    const inputs = await readPruneInputs(request, { onProgress: reading(context) });
    if (request.calib !== undefined && inputs.calibration === undefined)
      context.log(`--calib is not used by --method ${inputs.pruner.name}`);
    await startEngine(request.backend, context);
    return PruneReport.parse(await pruneToFolder(request, inputs, context.progress));
  },

  async unlearn({ request }, context) {
    const inputs = await readUnlearnInputs(request, undefined, { onProgress: reading(context) });
    const backend = await startEngine(request.backend, context, inputs.wasmTensorBytes);
    const report = UnlearnReport.parse(
      await runUnlearning(request, inputs, {
        backend,
        signal: context.signal,
        onProgress: context.progress,
        onStep: context.step,
        onDecision: context.decision,
        onLog: (message) => context.log(message),
      }),
    );
    if (report.cancelled)
      throw new JobCancelled(
        `cancelled at step ${report.steps} of ${report.totalSteps}; the checkpoint is in ${report.checkpoint}`,
        report,
      );
    return report;
  },

  async audit({ request }, context) {
    return AuditResult.parse(await runAuditTask(request, context));
  },

  async describe({ request }) {
    return describeEngine(request);
  },
};
