/**
 * The unlearning trainer: every method's loss runs through this one loop. Per optimizer step:
 * `gradAccum` micro-batches (seeded order, see schedule.ts), gradients averaged over them, the
 * method's gradient rewrite (SAU), global-norm clipping, AdamW at the scheduled learning rate,
 * the method's after-update hook; then a record, a progress event, and every
 * `checkpointEvery` steps a checkpoint. Cancellation is checked between steps; a cancelled
 * run writes a checkpoint first (when it has a checkpoint folder) so it can be resumed.
 * A step whose loss or gradient norm is not finite ends the run before its update
 * (`TrainingDiverged`): the weights stay those of the last good step, and no NaN reaches a
 * progress event, a checkpoint or the exported model.
 */
import * as tf from '@tensorflow/tfjs';
import type { StepRecord, TrainingProgress } from '../../shared/training.ts';
import { disposeBatch, makeBatch, type TokenSequence } from './batch.ts';
import { hasCheckpoint, restoreCheckpoint, runFingerprint, saveCheckpoint } from './checkpoint.ts';
import type { RunConfig } from './config.ts';
import type { MethodRun, StepInput } from './method.ts';
import { AdamW } from './optim/adamw.ts';
import { clipScale } from './optim/clip.ts';
import { learningRate, planBatches } from './schedule.ts';
import type { CalibratedController } from './calibrated.ts';

export interface TrainOptions {
  readonly run: MethodRun;
  readonly method: string;
  readonly forget: readonly TokenSequence[];
  readonly retain: readonly TokenSequence[];
  readonly config: RunConfig;
  /** Where checkpoints go; without it there are none and `resume` is refused. */
  readonly checkpointFolder?: string;
  /** Continue from the checkpoint in `checkpointFolder`. */
  readonly resume?: boolean;
  readonly signal?: AbortSignal;
  readonly onStep?: (progress: TrainingProgress) => void;
  /** Stop (as if cancelled) after this many optimizer steps in total: for tests of resume. */
  readonly stopAfterStep?: number;
  /** Calibrated mode: scales the learning rate, restores, stops (calibrated.ts). */
  readonly controller?: CalibratedController;
}

/** The loss or the gradient norm became NaN or ±Inf: the run cannot go on (exit 1). */
export class TrainingDiverged extends Error {
  override readonly name = 'TrainingDiverged';
  constructor(step: number, loss: number, gradNorm: number, lr: number) {
    super(
      `training diverged at step ${step}: the loss is ${loss} and the gradient norm ${gradNorm}; ` +
        `the learning rate (lr ${lr}) is likely too high for this model: lower "lr" or set "maxGradNorm" in --config`,
    );
  }
}

export interface TrainResult {
  readonly records: StepRecord[];
  readonly totalSteps: number;
  readonly resumedFrom: number;
  readonly cancelled: boolean;
  /** Calibrated mode ended the run after this step, for this reason. */
  readonly stoppedEarly?: { readonly step: number; readonly reason: string };
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { run, config, forget, retain } = options;
  const plan = planBatches(config, forget.length, retain.length);
  const optimizer = new AdamW({ lr: config.lr, weightDecay: config.weightDecay });
  const fingerprint = runFingerprint({
    method: options.method,
    config,
    forget: forget.map((s) => s.ids),
    retain: retain.map((s) => s.ids),
  });
  const records: StepRecord[] = [];
  let start = 0;
  try {
    if (options.resume) {
      if (!options.checkpointFolder || !hasCheckpoint(options.checkpointFolder))
        throw new Error('there is no checkpoint to resume from');
      const state = restoreCheckpoint(
        options.checkpointFolder,
        fingerprint,
        run.trainable,
        optimizer,
      );
      start = state.step;
      records.push(...state.records);
    }
    const checkpoint = async (step: number) => {
      if (options.checkpointFolder)
        await saveCheckpoint(
          options.checkpointFolder,
          { version: 1, fingerprint, step, records },
          run.trainable,
          optimizer,
        );
    };
    const started = performance.now();
    for (let step = start; step < plan.totalSteps; step++) {
      await nextTurnOfEventLoop();
      if (
        options.signal?.aborted ||
        (options.stopAfterStep !== undefined && step >= options.stopAfterStep)
      ) {
        await checkpoint(step);
        return { records, totalSteps: plan.totalSteps, resumedFrom: start, cancelled: true };
      }
      const lr = learningRate(config, step, plan.totalSteps) * (options.controller?.lrScale ?? 1);
      const record = await trainStep(
        run,
        optimizer,
        config,
        step,
        lr,
        plan.microBatches(step),
        forget,
        retain,
      );
      records.push(record);
      const done = step + 1 - start;
      const elapsed = (performance.now() - started) / 1000;
      options.onStep?.({
        step: record.step,
        totalSteps: plan.totalSteps,
        epoch: record.epoch,
        loss: record.loss,
        terms: record.terms,
        gradNorm: record.gradNorm,
        lr,
        tokensPerSecond: record.tokensPerSecond,
        etaSeconds: (elapsed / done) * (plan.totalSteps - step - 1),
      });
      const action = await options.controller?.afterStep(record.step);
      if (action?.kind === 'restored') optimizer.reset();
      const stop = action?.kind === 'stop' ? action.reason : null;
      if (stop !== null && step + 1 < plan.totalSteps)
        return {
          records,
          totalSteps: plan.totalSteps,
          resumedFrom: start,
          cancelled: false,
          stoppedEarly: { step: record.step, reason: stop },
        };
      if (
        config.checkpointEvery > 0 &&
        (step + 1) % config.checkpointEvery === 0 &&
        step + 1 < plan.totalSteps
      )
        await checkpoint(step + 1);
    }
    return { records, totalSteps: plan.totalSteps, resumedFrom: start, cancelled: false };
  } finally {
    optimizer.dispose();
  }
}

/** One optimizer step over its micro-batches; returns its record. */
async function trainStep(
  run: MethodRun,
  optimizer: AdamW,
  config: RunConfig,
  step: number,
  lr: number,
  microBatches: ReturnType<ReturnType<typeof planBatches>['microBatches']>,
  forgetSet: readonly TokenSequence[],
  retainSet: readonly TokenSequence[],
): Promise<StepRecord> {
  const began = performance.now();
  const names = [...run.trainable.keys()];
  const variables = [...run.trainable.values()];
  let sums: tf.Tensor[] | null = null;
  const lossSums: Record<string, number> = {};
  let lossSum = 0;
  let tokens = 0;
  for (const micro of microBatches) {
    const input: StepInput = {
      forget: makeBatch(forgetSet, micro.forget),
      retain: micro.retain.length > 0 ? makeBatch(retainSet, micro.retain) : null,
      step,
    };
    try {
      await run.beforeMicroBatch?.(input);
      const kept: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const { total, terms } = run.loss(input);
        for (const [name, term] of Object.entries(terms)) kept[name] = tf.keep(term.clone());
        return total;
      }, variables);
      lossSum += (await value.data())[0]!;
      for (const [name, term] of Object.entries(kept))
        lossSums[name] = (lossSums[name] ?? 0) + (await term.data())[0]!;
      const ordered = variables.map((v) => grads[v.name]!);
      const next: tf.Tensor[] = sums === null ? ordered : sums.map((s, i) => s.add(ordered[i]!));
      if (sums !== null) tf.dispose([...sums, ...ordered]);
      sums = next;
      tf.dispose([value, ...Object.values(kept)]);
      tokens += input.forget.tokens + (input.retain?.tokens ?? 0) + (run.extraTokens?.() ?? 0);
    } finally {
      disposeBatch(input.forget);
      disposeBatch(input.retain);
    }
  }
  const count = microBatches.length;
  let grads = new Map(names.map((name, i) => [name, sums![i]!]));
  if (count > 1) {
    const averaged = new Map([...grads].map(([name, g]) => [name, g.div(count)]));
    tf.dispose([...grads.values()]);
    grads = averaged;
  }
  if (run.transformGradients) {
    const rewritten = run.transformGradients(grads);
    tf.dispose([...grads.values()]);
    grads = rewritten;
  }
  const maxNorm = config.maxGradNorm > 0 ? config.maxGradNorm : Infinity;
  const { norm: gradNorm, scale } = await clipScale(grads, maxNorm);
  const loss = lossSum / count;
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
    tf.dispose([...grads.values()]);
    throw new TrainingDiverged(step + 1, loss, gradNorm, config.lr);
  }
  optimizer.lr = lr;
  optimizer.apply(run.trainable, grads, scale); // clipped inside AdamW's pass
  tf.dispose([...grads.values()]);
  run.afterUpdate?.();
  const extra = (await run.stepLog?.()) ?? {};
  const seconds = (performance.now() - began) / 1000;
  const terms = Object.fromEntries(Object.entries(lossSums).map(([k, v]) => [k, v / count]));
  return {
    step: step + 1,
    epoch: microBatches[0]!.epoch,
    lr,
    loss,
    terms,
    gradNorm,
    tokens,
    tokensPerSecond: tokens / seconds,
    seconds,
    extra,
  };
}

/**
 * The wasm and cpu backends resolve `data()` without returning to the event loop, so a loop of
 * awaits alone never lets a SIGINT handler or an IPC cancel message run: cancellation would be
 * seen only after the last step. One macrotask turn per step lets it in.
 */
function nextTurnOfEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
