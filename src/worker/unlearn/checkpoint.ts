/**
 * Training checkpoints: the trainable variables, AdamW's moments and step, and the step records
 * so far, in a folder that is replaced without a moment with no complete checkpoint: the new one
 * is written beside it, the old one renamed to `<folder>.previous`, the new one renamed into
 * place, and only then the old one removed; a run killed between the two renames resumes from
 * `.previous`. A run is resumed only with the same method, configuration and data (a
 * fingerprint of all three).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { StepRecord } from '../../shared/training.ts';
import { UserInputError } from '../../shared/errors.ts';
import {
  SafetensorsFile,
  writeSafetensors,
  type TensorToWrite,
} from '../model/safetensors/index.ts';
import type { AdamW } from './optim/adamw.ts';

const TENSORS = 'state.safetensors';
const STATE = 'state.json';

const CheckpointState = z.object({
  version: z.literal(1),
  fingerprint: z.string(),
  /** Optimizer steps completed. */
  step: z.number().int().nonnegative(),
  records: z.array(StepRecord),
});
export type CheckpointState = z.infer<typeof CheckpointState>;

/** sha256 over what must match for a resume: method, config, and the token sequences. */
export function runFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export async function saveCheckpoint(
  folder: string,
  state: CheckpointState,
  trainable: ReadonlyMap<string, tf.Variable>,
  optimizer: AdamW,
): Promise<void> {
  const staged = `${folder}.partial`;
  rmSync(staged, { recursive: true, force: true });
  mkdirSync(staged, { recursive: true });
  const { step, m, v } = optimizer.exportState();
  const tensors: TensorToWrite[] = [];
  const add = async (prefix: string, vars: ReadonlyMap<string, tf.Tensor>) => {
    for (const [name, t] of vars)
      tensors.push({
        name: `${prefix}${name}`,
        shape: t.shape,
        data: (await t.data()) as Float32Array,
      });
  };
  await add('param:', trainable);
  await add('adamw.m:', m);
  await add('adamw.v:', v);
  writeSafetensors(join(staged, TENSORS), tensors, 'F32', { optimizerStep: String(step) });
  writeFileSync(join(staged, STATE), JSON.stringify(state));
  const previous = `${folder}.previous`;
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(folder)) renameSync(folder, previous);
  renameSync(staged, folder);
  rmSync(previous, { recursive: true, force: true });
}

const complete = (folder: string): boolean =>
  existsSync(join(folder, STATE)) && existsSync(join(folder, TENSORS));

/** The folder holding the checkpoint: `folder`, or its `.previous` when a save was cut short. */
function checkpointIn(folder: string): string {
  const previous = `${folder}.previous`;
  return !complete(folder) && complete(previous) ? previous : folder;
}

export function hasCheckpoint(folder: string): boolean {
  return complete(checkpointIn(folder));
}

/**
 * Loads a checkpoint into `trainable` and `optimizer`; returns its state. Exit 2 when it belongs
 * to another run (fingerprint) or does not fit the variables.
 */
export function restoreCheckpoint(
  folder: string,
  fingerprint: string,
  trainable: ReadonlyMap<string, tf.Variable>,
  optimizer: AdamW,
): CheckpointState {
  folder = checkpointIn(folder);
  let state: CheckpointState;
  try {
    state = CheckpointState.parse(JSON.parse(readFileSync(join(folder, STATE), 'utf8')));
  } catch (error) {
    throw new UserInputError(
      folder,
      `not a readable checkpoint (${(error as Error).message}); run without --resume`,
    );
  }
  if (state.fingerprint !== fingerprint)
    throw new UserInputError(
      folder,
      'the checkpoint is from a run with another method, config or data; run without --resume to start over',
    );
  const file = SafetensorsFile.open(join(folder, TENSORS));
  try {
    const read = (name: string, shape: readonly number[]) => {
      const entry = file.entry(name);
      if (!entry || entry.shape.join() !== shape.join())
        throw new UserInputError(
          folder,
          `checkpoint tensor ${name} is missing or has another shape`,
        );
      return tf.tensor(file.readFloat32(name), [...shape]);
    };
    for (const [name, variable] of trainable) {
      const value = read(`param:${name}`, variable.shape);
      variable.assign(value);
      value.dispose();
    }
    const moments = (prefix: string) => {
      const out = new Map<string, tf.Tensor>();
      for (const [name, variable] of trainable) {
        if (file.entry(`${prefix}${name}`)) out.set(name, read(`${prefix}${name}`, variable.shape));
      }
      return out;
    };
    const optimizerStep = Number(file.header.metadata.optimizerStep ?? state.step);
    const m = moments('adamw.m:');
    const v = moments('adamw.v:');
    optimizer.importState(optimizerStep, m, v);
    tf.dispose([...m.values(), ...v.values()]);
  } finally {
    file.close();
  }
  return state;
}
