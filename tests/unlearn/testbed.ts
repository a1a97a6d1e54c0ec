/**
 * The unlearning tests' testbed: 12 synthetic people, a byte-level BPE trained on all of them, a
 * tiny GPT-2 that memorized the first 8 (members); forget = 3 members, retain = the other 5
 * members, holdout = 4 non-members. Built once per test file into a temporary folder.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainByteLevelBpe, writeTokenizerFolder } from '../../src/worker/data/bpe-trainer.ts';
import { verbatimMemorization } from '../../src/worker/metrics/verbatim.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { writeModelFolder } from '../../src/worker/model/model-folder.ts';
import { prunerFor } from '../../src/worker/prune/index.ts';
import { loadTokenizer } from '../../src/worker/model/tokenizer.ts';
import { memorize } from '../helpers/memorized-model.ts';
import { syntheticPeople } from '../metrics/synthetic-people.ts';

export const SEED = 4242;
const POSITIONS = 128;
const VOCAB = 512;

export interface Testbed {
  readonly modelDir: string;
  readonly forgetFile: string;
  readonly retainFile: string;
  readonly holdoutFile: string;
  readonly forgetTexts: readonly string[];
  readonly retainTexts: readonly string[];
}

/** The shipped testbed (resources/testbed): a GPT-2 that memorized forget10 and retain. */
export const BUNDLED_TESTBED = join(import.meta.dirname, '..', '..', 'resources', 'testbed');

/** The non-empty JSONL lines of a corpus file of the shipped testbed. */
export const bundledLines = (file: string): string[] =>
  readFileSync(join(BUNDLED_TESTBED, 'corpus', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

/** The shipped testbed as a Testbed: its model, forget10, retain and holdout. */
export function bundledTestbed(): Testbed {
  const texts = (file: string) =>
    bundledLines(file).map((l) => (JSON.parse(l) as { text: string }).text);
  const corpus = (file: string) => join(BUNDLED_TESTBED, 'corpus', file);
  return {
    modelDir: join(BUNDLED_TESTBED, 'model'),
    forgetFile: corpus('forget10.jsonl'),
    retainFile: corpus('retain.jsonl'),
    holdoutFile: corpus('holdout.jsonl'),
    forgetTexts: texts('forget10.jsonl'),
    retainTexts: texts('retain.jsonl'),
  };
}

export async function buildTestbed(dir: string): Promise<Testbed> {
  const people = syntheticPeople(12, SEED);
  const texts = people.map((p) => p.text);
  const modelDir = join(dir, 'model');
  mkdirSync(modelDir, { recursive: true });
  const trained = trainByteLevelBpe(texts, { vocabSize: VOCAB });
  writeTokenizerFolder(modelDir, trained, POSITIONS);
  const tokenizer = loadTokenizer(modelDir);
  const members = texts.slice(0, 8);
  const training = await memorize(
    members.map((t) => tokenizer.encode(t)),
    trained.vocabSize,
    modelDir,
    { positions: POSITIONS, seed: SEED },
  );
  if (training.loss > 0.1)
    throw new Error(`testbed: memorization stopped at loss ${training.loss}`);
  const write = (name: string, set: readonly string[]) => {
    const file = join(dir, `${name}.jsonl`);
    writeFileSync(file, set.map((text) => JSON.stringify({ text })).join('\n'));
    return file;
  };
  return {
    modelDir,
    forgetFile: write('forget', members.slice(0, 3)),
    retainFile: write('retain', members.slice(3)),
    holdoutFile: write('holdout', texts.slice(8)),
    forgetTexts: members.slice(0, 3),
    retainTexts: members.slice(3),
  };
}

export interface Measurement {
  /** Greedy 32-token continuation after a 32-token prefix reproduced exactly, over the forget set. */
  readonly forgetExact: number;
  readonly forgetNll: number;
  readonly retainNll: number;
  readonly retainExact: number;
}

/** Loads `modelDir` (the tokenizer is the testbed's) and measures forget and retain. */
export async function measure(modelDir: string, bed: Testbed): Promise<Measurement> {
  const tokenizer = loadTokenizer(modelDir);
  const { model } = loadModel(modelDir);
  try {
    const stats = async (texts: readonly string[]) => {
      const ids = texts.map((t) => tokenizer.encode(t));
      let nll = 0;
      for (const row of ids) {
        const value = tf.tidy(() => model.nll(tf.tensor2d([row], [1, row.length], 'int32')));
        nll += (await value.data())[0]!;
        value.dispose();
      }
      const verbatim = await verbatimMemorization(model, tokenizer, ids);
      return { nll: nll / ids.length, exact: verbatim.exactRate ?? Number.NaN };
    };
    const forget = await stats(bed.forgetTexts);
    const retain = await stats(bed.retainTexts);
    return {
      forgetExact: forget.exact,
      forgetNll: forget.nll,
      retainNll: retain.nll,
      retainExact: retain.exact,
    };
  } finally {
    model.dispose();
  }
}

/**
 * A magnitude-pruned copy of the testbed model (`fraction` of every block linear zeroed) at
 * `out`, for SAU. Pruning this little keeps the memorization (measured in the tests).
 */
export async function prunedCopy(bed: Testbed, out: string, fraction: number): Promise<string> {
  const loaded = loadModel(bed.modelDir);
  try {
    await prunerFor('magnitude').prune(loaded.model, {
      target: { kind: 'unstructured', fraction },
    });
    await writeModelFolder(bed.modelDir, out, loaded.model, loaded.checkpoint.dtype);
  } finally {
    loaded.model.dispose();
  }
  return out;
}
