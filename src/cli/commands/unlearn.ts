import type { UnlearnReport } from '../../shared/training.ts';
import { WorkerJobError } from '../../main/worker-host/index.ts';
import { readUnlearnInputs, type UnlearnRequest } from '../../worker/tasks/unlearn.ts';
import { METHODS } from '../../worker/unlearn/methods/index.ts';
import type { Command } from '../command.ts';
import { requiredString } from '../options.ts';
import { runInWorker } from '../worker.ts';

const optional = (values: Readonly<Record<string, unknown>>, name: string) =>
  typeof values[name] === 'string' ? (values[name] as string) : undefined;

export const unlearn: Command = {
  name: 'unlearn',
  usage: `unlearn <model> --forget <path> [--retain <path>] [--calibration <path>] --method ${[...METHODS.keys()].join('|')} [--config <json>] --out <dir> [--resume]`,
  summary: 'run an unlearning method; writes the unlearned model as a Hugging Face folder',
  options: {
    forget: { type: 'string' },
    retain: { type: 'string' },
    calibration: { type: 'string' },
    method: { type: 'string' },
    config: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean', default: false },
  },
  positionals: 1,
  async run({ positionals, values, global, progress, print }) {
    const retain = optional(values, 'retain');
    const config = optional(values, 'config');
    const calibration = optional(values, 'calibration');
    const request: UnlearnRequest = {
      model: positionals[0]!,
      forget: requiredString(values, 'forget'),
      method: requiredString(values, 'method'),
      out: requiredString(values, 'out'),
      resume: values.resume === true,
      seed: global.seed,
      ...(retain === undefined ? {} : { retain }),
      ...(config === undefined ? {} : { config }),
      ...(calibration === undefined ? {} : { calibration }),
    };
    // Bad input exits 2 here, before a worker starts; the worker checks it again.
    const inputs = await readUnlearnInputs(request);
    let report: UnlearnReport;
    try {
      report = await runInWorker(
        'unlearn',
        { ...request, backend: global.backend, seed: global.seed },
        progress,
        {
          cancelNote: 'cancelling after the current step (a checkpoint is written)…',
          onStep: (s) =>
            progress.step(
              `${inputs.method.name} loss ${s.loss.toFixed(4)} |g| ${s.gradNorm.toExponential(2)} ` +
                `${Math.round(s.tokensPerSecond)} tok/s eta ${Math.round(s.etaSeconds)}s`,
              s.step,
              s.totalSteps,
            ),
        },
      );
    } catch (error) {
      if (!(error instanceof WorkerJobError && error.code === 'cancelled' && error.partial))
        throw error;
      report = error.partial;
    }
    print(report, humanText(report));
    if (report.cancelled)
      throw new Error(
        `cancelled at step ${report.steps} of ${report.totalSteps}; run the same command with --resume to continue`,
      );
  },
};

function humanText(r: UnlearnReport): string {
  const lines = [
    `method   ${r.method} on ${r.backend}: ${r.steps}/${r.totalSteps} steps in ${r.seconds.toFixed(1)} s` +
      (r.resumedFrom > 0 ? ` (resumed at step ${r.resumedFrom})` : ''),
    `forget   ${r.forget.sequences} sequences, ${r.forget.tokens} tokens`,
  ];
  if (r.retain) lines.push(`retain   ${r.retain.sequences} sequences, ${r.retain.tokens} tokens`);
  if (r.finalLoss !== null) lines.push(`loss     ${r.finalLoss.toFixed(4)} (last step)`);
  lines.push(r.out === null ? `checkpoint ${r.checkpoint}` : `model    ${r.out}`);
  return lines.join('\n');
}
