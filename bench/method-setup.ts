/**
 * What bench/steps.ts and bench/memory.ts run a method on: a random GPT-2 of `shape` (pruned 50 %
 * by magnitude for SAU, which needs zeros), random forget and retain token sequences for
 * `batches` steps, and the method's config for one epoch (SAU with Fisher importance).
 */
import { mulberry32 } from '../src/worker/data/prng.ts';
import { createRandomModel } from '../src/worker/model/architectures/index.ts';
import type { CausalLM } from '../src/worker/model/architectures/types.ts';
import { prunerFor } from '../src/worker/prune/index.ts';
import { benchSpec, type BenchShape } from '../src/worker/tasks/bench.ts';
import type { TokenSequence } from '../src/worker/unlearn/batch.ts';
import { resolveConfig } from '../src/worker/unlearn/config.ts';
import { methodNamed } from '../src/worker/unlearn/methods/index.ts';

function randomSequences(shape: BenchShape, count: number, seed: number): TokenSequence[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `random#${i}`,
    ids: Array.from({ length: shape.seq }, () => Math.floor(random() * shape.vocab)),
  }));
}

export async function methodSetup(name: string, shape: BenchShape, batches: number) {
  const method = methodNamed(name);
  const model: CausalLM = createRandomModel(benchSpec(shape), 0);
  if (name === 'sau')
    await prunerFor('magnitude').prune(model, {
      target: { kind: 'unstructured', fraction: 0.5 },
    });
  const forget = randomSequences(shape, shape.batch * batches, 1);
  const retain = randomSequences(shape, shape.batch * batches, 2);
  const config = resolveConfig(
    {
      epochs: 1,
      batchSize: shape.batch,
      maxLength: shape.seq,
      ...(name === 'sau' ? { redistribution: 'importance', importance: 'fisher' } : {}),
    },
    method,
    undefined,
  );
  return { method, model, forget, retain, config };
}
