/**
 * The checkpoint checks: a missing tensor or a wrong shape is a UserInputError naming the tensor
 * and the file; the known quirks (GPT-2 prefix and buffers, tied heads, stale rotary buffers)
 * load. Folders are built from the golden fixtures with one thing changed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../shared/errors.ts';
import { loadModel } from './load.ts';
import {
  Checkpoint,
  isFloatDtype,
  writeCheckpoint,
  type TensorToWrite,
} from './safetensors/index.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'tests', 'fixtures', 'golden');
const scratch: string[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** The float tensors of a fixture (buffers of other dtypes are dropped). */
function fixtureTensors(name: string): TensorToWrite[] {
  const checkpoint = Checkpoint.open(join(FIXTURES, name));
  try {
    return checkpoint.names
      .filter((n) => isFloatDtype(checkpoint.entry(n)!.dtype))
      .map((n) => ({
        name: n,
        shape: [...checkpoint.entry(n)!.shape],
        data: checkpoint.readFloat32(n),
      }));
  } finally {
    checkpoint.close();
  }
}

/** A model folder holding `tensors` and the fixture's config.json, edited by `config`. */
function folderWith(
  fixture: string,
  tensors: TensorToWrite[],
  config: (c: Record<string, unknown>) => void = () => {},
  maxShardBytes?: number,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'nepenthe-weights-'));
  scratch.push(dir);
  const raw = JSON.parse(readFileSync(join(FIXTURES, fixture, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  config(raw);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw));
  writeCheckpoint(dir, tensors, 'F32', maxShardBytes);
  return dir;
}

function loadError(folder: string): UserInputError {
  try {
    loadModel(folder).model.dispose();
  } catch (error) {
    if (error instanceof UserInputError) return error;
    throw error;
  }
  throw new Error(`${folder} loaded, expected a UserInputError`);
}

async function logitsOf(folder: string, ids: number[][]): Promise<Float32Array> {
  const { model } = loadModel(folder);
  const input = tf.tensor2d(ids, undefined, 'int32');
  const logits = model.logits(input);
  const data = (await logits.data()) as Float32Array;
  tf.dispose([input, logits]);
  model.dispose();
  return data;
}

describe('loadModel checks every parameter', () => {
  it('names a missing tensor and the file it should be in', () => {
    const tensors = fixtureTensors('gpt2-tiny').filter(
      (t) => t.name !== 'transformer.h.1.mlp.c_fc.bias',
    );
    const folder = folderWith('gpt2-tiny', tensors);
    const error = loadError(folder);
    expect(error.path).toBe(join(folder, 'model.safetensors'));
    expect(error.message).toContain('"transformer.h.1.mlp.c_fc.bias"');
  });

  it('names a tensor with the wrong shape, its shard, and both shapes', () => {
    const tensors = fixtureTensors('llama-gqa-tiny').map((t) =>
      t.name === 'model.layers.1.self_attn.k_proj.weight' ? { ...t, shape: [32, 16] } : t,
    );
    const folder = folderWith('llama-gqa-tiny', tensors, () => {}, 40_000);
    const error = loadError(folder);
    expect(error.path).toMatch(/model-0000\d-of-0000\d\.safetensors$/);
    const holder = Checkpoint.open(folder);
    expect(error.path).toBe(holder.fileOf('model.layers.1.self_attn.k_proj.weight'));
    holder.close();
    expect(error.message).toContain('"model.layers.1.self_attn.k_proj.weight" has shape [32, 16]');
    expect(error.message).toContain('[16, 32]');
  });

  it('refuses a checkpoint whose config has fewer heads than the weights', () => {
    const folder = folderWith(
      'qwen2-tiny',
      fixtureTensors('qwen2-tiny'),
      (c) => (c.num_key_value_heads = 4),
    );
    expect(loadError(folder).message).toContain(
      '"model.layers.0.self_attn.k_proj.weight" has shape [16, 32]',
    );
  });

  it('requires lm_head.weight when the head is not tied', () => {
    const tensors = fixtureTensors('llama-gqa-tiny').filter((t) => t.name !== 'lm_head.weight');
    const error = loadError(folderWith('llama-gqa-tiny', tensors));
    expect(error.message).toContain('"lm_head.weight"');
    expect(error.message).toContain('tie_word_embeddings');
  });
});

describe('loadModel handles the checkpoint quirks', () => {
  const ids = [
    [5, 17, 3, 88, 41],
    [0, 9, 9, 60, 2],
  ];

  it('GPT-2: loads GPT2Model keys without "transformer." and without the attn buffers', async () => {
    const original = join(FIXTURES, 'gpt2-tiny');
    const tensors = fixtureTensors('gpt2-tiny').map((t) => ({
      ...t,
      name: t.name.replace(/^transformer\./, ''),
    }));
    expect(tensors.some((t) => t.name.includes('attn.masked_bias'))).toBe(true); // F32 buffer kept: must be skipped
    const folder = folderWith('gpt2-tiny', tensors);
    const { model, checkpoint } = loadModel(folder);
    expect(checkpoint.unused).toEqual([]);
    expect([...model.params.keys()].every((n) => n.startsWith('transformer.'))).toBe(true);
    model.dispose();
    expect(await logitsOf(folder, ids)).toEqual(await logitsOf(original, ids));
  });

  it('ignores a stale rotary inv_freq buffer and reports other unused tensors', () => {
    const loaded = loadModel(join(FIXTURES, 'llama-gqa-tiny'));
    expect(loaded.checkpoint.unused).toEqual([]); // the fixture carries model.layers.0.self_attn.rotary_emb.inv_freq
    loaded.model.dispose();

    const extra = {
      name: 'model.layers.9.mlp.up_proj.weight',
      shape: [2],
      data: new Float32Array(2),
    };
    const { model, checkpoint } = loadModel(
      folderWith('qwen2-tiny', [...fixtureTensors('qwen2-tiny'), extra]),
    );
    expect(checkpoint.unused).toEqual(['model.layers.9.mlp.up_proj.weight']);
    model.dispose();
  });

  it('a tied model ignores a stored lm_head.weight, as HF ties it to the embedding anyway', async () => {
    const tensors = fixtureTensors('qwen2-tiny');
    const embedding = tensors.find((t) => t.name === 'model.embed_tokens.weight')!;
    const head = {
      ...embedding,
      name: 'lm_head.weight',
      data: new Float32Array(embedding.data.length).fill(7),
    };
    const folder = folderWith('qwen2-tiny', [...tensors, head]);
    const { model, checkpoint } = loadModel(folder);
    expect(model.params.has('lm_head.weight')).toBe(false);
    expect(checkpoint.unused).toEqual(['lm_head.weight']);
    model.dispose();
    expect(await logitsOf(folder, ids)).toEqual(await logitsOf(join(FIXTURES, 'qwen2-tiny'), ids));
  });
});
