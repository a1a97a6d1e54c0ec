/**
 * Per-kernel profile of one GradDiff step (or one forward pass) on a model folder's real weights
 * at a real shape (bench/RESULTS.md "Real shapes"): the profile that guided the scale work.
 *
 *   node --import tsx bench/profile-model.ts --model <dir> [--backend native] [--batch 2]
 *     [--seq 128] [--steps 1] [--phase train|eval|stats|decode] [--method graddiff|bounded]
 *
 * decode: greedy decoding as the verbatim / PII / QA metrics do it (greedyGenerateMany), --batch
 * rows of --seq random prompt tokens, 16 new tokens each; "s/step" is per decoding.
 * stats: the per-token statistics of the evaluation (`CausalLM.nextTokenStats`), --batch rows of
 * --seq tokens.
 *
 * Random token ids; the first step is warm-up and not profiled.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../src/shared/contracts.ts';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { LoraAdapters, loraDefaults } from '../src/worker/model/adapters/lora.ts';
import { greedyGenerateMany } from '../src/worker/model/generate.ts';
import { loadModel } from '../src/worker/model/load.ts';
import { gradDiffStep } from '../src/worker/tasks/bench.ts';
import { AdamW } from '../src/worker/unlearn/optim/adamw.ts';
import { formatProfile, productDetail, profileKernels } from './profile.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    backend: { type: 'string', default: 'native' },
    batch: { type: 'string', default: '2' },
    seq: { type: 'string', default: '128' },
    steps: { type: 'string', default: '1' },
    phase: { type: 'string', default: 'train' },
    method: { type: 'string', default: 'graddiff' },
  },
});
if (!values.model) throw new Error('--model <dir> is required');
const batch = Number(values.batch);
const seq = Number(values.seq);
const steps = Number(values.steps);
await selectBackend(values.backend as BackendName);
const { model } = await loadModel(values.model);
console.log(
  `loaded: RSS ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB, peak ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB`,
);
const vocab = model.spec.vocabSize;
let seed = 1;
const ids = () => tf.randomUniform([batch, seq], 0, vocab, 'int32', seed++) as tf.Tensor2D;
const optimizer = new AdamW({ lr: 1e-5, weightDecay: 0.01 });
// bounded: the GradDiff step on sine-bounded LoRA adapters over the MLP (the method's default).
const trainable =
  values.method === 'bounded' ? LoraAdapters.attach(model, loraDefaults()).variables : model.params;
const once = async () => {
  if (values.phase === 'decode') {
    const prompts = Array.from({ length: batch }, (_, r) =>
      Array.from({ length: seq }, (_, t) => (r * 7919 + t * 104729) % vocab),
    );
    await greedyGenerateMany(
      model,
      prompts.map((prompt) => ({ prompt, maxNewTokens: 16 })),
      { batchSize: batch },
    );
  } else if (values.phase === 'stats') {
    const [x, y] = [ids(), ids()];
    const stats = model.nextTokenStats(x, y);
    await stats.data();
    tf.dispose([x, y, stats]);
  } else if (values.phase === 'eval') {
    const x = ids();
    const nll = model.nll(x);
    await nll.data();
    tf.dispose([x, nll]);
  } else await gradDiffStep(model, optimizer, ids(), ids(), trainable);
};
await once();
let peakTensorBytes = 0;
const profile = await profileKernels(
  async () => {
    for (let i = 0; i < steps; i++) await once();
  },
  {
    keyOf: (name, inputs, attrs) => {
      peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
      return productDetail(name, inputs, attrs);
    },
  },
);
const tokens =
  values.phase === 'decode'
    ? batch * 16 * steps // new tokens
    : (values.phase === 'train' ? 2 : 1) * batch * seq * steps;
console.log(
  `${values.phase} ${(profile.wallMs / steps / 1000).toFixed(2)} s/step, ${((tokens * 1000) / profile.wallMs).toFixed(1)} tok/s, peak RSS ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB, peak live tensors ${(peakTensorBytes / 2 ** 30).toFixed(2)} GiB`,
);
console.log(formatProfile(profile, steps, 40));
