/**
 * `evaluateModel` end to end on a model that really memorized its training set, wasm backend.
 * Inside the test: 16 synthetic records of fictitious people (name, email, phone), split into
 * members (8) and two disjoint non-member sets A and B (4 + 4); a byte-level BPE trained on ALL
 * 16 records (so whether a record's words are in the vocabulary says nothing about membership);
 * a tiny GPT-2 trained with AdamW on the members only until it recites them; the model written
 * as a Hugging Face folder (config.json, model.safetensors, tokenizer files) and loaded back as
 * the CLI does. Then two evaluations: forget = members vs holdout = A (a real membership
 * signal), and forget = A vs holdout = B (none).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalReport } from '../../src/shared/contracts.ts';
import { trainByteLevelBpe, writeTokenizerFolder } from '../../src/worker/data/bpe-trainer.ts';
import { readDocuments } from '../../src/worker/data/documents.ts';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { loadTokenizer } from '../../src/worker/model/tokenizer.ts';
import { evaluateModel } from '../../src/worker/tasks/eval.ts';
import { syntheticPeople } from './synthetic-people.ts';
import { memorize } from '../helpers/memorized-model.ts';

const SEED = 20240611;
const POSITIONS = 128;
const VOCAB = 512;
const MAX_STEPS = 300;
/** Mean member NLL (nats/token) at which training stops: the records are recited by then. */
const TARGET_LOSS = 0.05;

let dir: string;

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-eval-trained-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Numbers {
  auc: number;
  exact: number;
  leak: number;
}

describe('eval on a model that memorized synthetic PII records', () => {
  it('separates members from non-members (MIA, verbatim, PII) and not non-members from each other', async () => {
    const started = performance.now();
    const people = syntheticPeople(16, SEED);
    const members = people.slice(0, 8);
    const nonMembersA = people.slice(8, 12);
    const nonMembersB = people.slice(12, 16);

    // Tokenizer on every record: member and non-member words are equally in the vocabulary.
    const trained = trainByteLevelBpe(
      people.map((p) => p.text),
      { vocabSize: VOCAB },
    );
    const modelDir = join(dir, 'model');
    writeTokenizerFolder(modelDir, trained, POSITIONS);
    const tokenizer = loadTokenizer(modelDir);
    const memberIds = members.map((p) => tokenizer.encode(p.text));
    const lengths = people.map((p) => tokenizer.encode(p.text).length);
    // Verbatim is p = c = 32 inside evaluateModel: every record must be longer than 64 tokens
    // (a full 32-token continuation) and fit one window.
    expect(Math.min(...lengths)).toBeGreaterThan(64);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(POSITIONS);

    const training = await memorize(memberIds, trained.vocabSize, modelDir, {
      positions: POSITIONS,
      seed: SEED,
      targetLoss: TARGET_LOSS,
      maxSteps: MAX_STEPS,
    });
    expect(training.loss).toBeLessThan(0.1);

    const files: Record<string, string> = {};
    for (const [name, set] of Object.entries({ members, nonMembersA, nonMembersB })) {
      files[name] = join(dir, `${name}.jsonl`);
      writeFileSync(files[name], set.map((p) => JSON.stringify({ text: p.text })).join('\n'));
    }

    const loaded = loadModel(modelDir);
    const evaluate = async (forget: string, holdout: string): Promise<Numbers> => {
      const document = await evaluateModel({
        model: {
          model: loaded.model,
          tokenizer,
          sha256: '0'.repeat(64),
          architecture: loaded.spec.modelType,
        },
        // No `names`: the PII probes are the email and phone spans detectPii finds by itself.
        sets: { forget: await readDocuments(forget), holdout: await readDocuments(holdout) },
      });
      const report = EvalReport.parse(document);
      const set = report.sets.forget!;
      return {
        auc: report.mia!.loss!.auc,
        exact: set.verbatim.exactRate!,
        leak: set.pii!.leakRate!,
      };
    };
    let inside: Numbers;
    let outside: Numbers;
    try {
      inside = await evaluate(files.members!, files.nonMembersA!);
      outside = await evaluate(files.nonMembersA!, files.nonMembersB!);
    } finally {
      loaded.model.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `eval-trained: train ${training.steps} steps to loss ${training.loss.toFixed(4)}; ` +
        `tokens/record ${Math.min(...lengths)}–${Math.max(...lengths)}; ` +
        `members vs A: loss AUC ${inside.auc.toFixed(3)}, exact ${inside.exact.toFixed(3)}, ` +
        `PII leak ${inside.leak.toFixed(3)}; A vs B: loss AUC ${outside.auc.toFixed(3)}, ` +
        `exact ${outside.exact.toFixed(3)}, PII leak ${outside.leak.toFixed(3)}; ${seconds.toFixed(1)} s`,
    );

    // (1) MIA. Members are recited (near-zero loss), non-members are not: AUC near 1.
    expect(inside.auc).toBeGreaterThanOrEqual(0.9);
    // Two non-member sets: no signal, so the AUC is "near 0.5" — but over only 4 × 4 = 16 pairs.
    // Under the null the Mann–Whitney AUC has sd sqrt((n1 + n2 + 1) / (12 n1 n2)) ≈ 0.22, so
    // [0.2, 0.8] (about ±1.4 sd) is as tight as 4 + 4 records allow; it still fails a model
    // whose loss separates the sets as it does members. The data and training are fixed by SEED,
    // so the outcome is deterministic; about one seed in six lands outside by chance alone (seed 7
    // gives 13/16 = 0.8125), so changing SEED may need this bound re-checked, not the code.
    expect(outside.auc).toBeGreaterThanOrEqual(0.2);
    expect(outside.auc).toBeLessThanOrEqual(0.8);
    // (2) Verbatim: 32 prompt tokens → the next 32 exactly.
    expect(inside.exact).toBeGreaterThanOrEqual(0.75);
    expect(outside.exact).toBeLessThanOrEqual(0.25);
    // (3) PII: the text before an email or phone number brings it back for members only.
    expect(inside.leak).toBeGreaterThanOrEqual(0.5);
    expect(outside.leak).toBeLessThan(inside.leak);
  });
});
