import { BenchReport } from '../../shared/contracts.ts';
import { UserInputError } from '../../shared/errors.ts';
import {
  BENCH_SHAPES,
  benchTensorBytes,
  requireBenchShape,
  runBench,
} from '../../worker/tasks/bench.ts';
import type { Command } from '../command.ts';
import { startEngine } from '../engine.ts';
import { positiveInteger } from '../options.ts';
import { loadModelSpec } from '../../worker/model/config.ts';

export const bench: Command = {
  name: 'bench',
  usage: `bench [--shape ${Object.keys(BENCH_SHAPES).join('|')} | --model <dir>] [--batch B] [--seq T] [--steps N] [--checkpointing on|off]`,
  summary: 'throughput of the engine: GradDiff train steps and forward passes (tokens/s)',
  options: {
    shape: { type: 'string', default: 'cpu-small' },
    model: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    steps: { type: 'string', default: '5' },
    checkpointing: { type: 'string' },
  },
  positionals: 0,
  async run({ values, global, progress, print }) {
    const steps = positiveInteger(values, 'steps');
    const batch = values.batch === undefined ? undefined : positiveInteger(values, 'batch');
    const seq = values.seq === undefined ? undefined : positiveInteger(values, 'seq');
    const model = values.model === undefined ? undefined : String(values.model);
    if (model !== undefined) loadModelSpec(model); // a bad folder is exit 2 before the engine starts
    const checkpointing = onOff(values.checkpointing);
    const shape = String(values.shape);
    requireBenchShape(shape); // before the engine starts, so a typo costs nothing
    const work = {
      shape,
      ...(model === undefined ? {} : { model }),
      ...(batch === undefined ? {} : { batch }),
      ...(seq === undefined ? {} : { seq }),
    };
    const backend = await startEngine(global, progress, benchTensorBytes(work));
    const report = BenchReport.parse(
      await runBench({
        ...work,
        steps,
        ...(checkpointing === undefined ? {} : { checkpointing }),
        seed: global.seed,
        backend,
        onProgress: (phase, d, t) => progress.step(phase, d, t),
      }),
    );
    print(
      report,
      `${report.shape} on ${report.backend}${report.checkpointing ? ' (checkpointed)' : ''}: train ${report.trainTokensPerSecond} tok/s, eval ${report.evalTokensPerSecond} tok/s, peak RSS ${(report.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    );
  },
};

/** `--checkpointing on|off`; absent: the backend's default (undefined). */
function onOff(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'off') return value === 'on';
  throw new UserInputError(undefined, `--checkpointing must be on or off, got "${String(value)}"`);
}
