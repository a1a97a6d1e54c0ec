/**
 * The testbed (DESIGN.md §7): the people generator and its splits, and the shipped
 * resources/testbed — files equal to its manifest's hashes, both HF folders loadable, and the
 * model really memorized its training people (greedy exact continuation after a 32-token
 * prefix, wasm) while the reference, trained without forget10, did not.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectPii, ibanChecksumValid } from '../../src/worker/data/pii.ts';
import {
  biography,
  generatePeople,
  PERTURBED_ANSWERS,
  qaPairs,
  qaRecords,
  testbedSplits,
  type TestbedPerson,
} from '../../src/worker/data/testbed/index.ts';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { verbatimMemorization } from '../../src/worker/metrics/verbatim.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { loadTokenizer } from '../../src/worker/model/tokenizer.ts';

const TESTBED = fileURLToPath(new URL('../../resources/testbed', import.meta.url));

interface Manifest {
  seed: number;
  splits: Record<string, number[]>;
  files: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(TESTBED, 'manifest.json'), 'utf8')) as Manifest;

const ids = (people: readonly TestbedPerson[]) => people.map((p) => p.id);

describe('testbed people and splits', () => {
  it('same seed, same people; another seed, other people', () => {
    expect(generatePeople(30, 5)).toEqual(generatePeople(30, 5));
    expect(generatePeople(30, 6)[0]!.name).not.toBe(generatePeople(30, 5)[0]!.name);
    const people = generatePeople(120, 5);
    for (const key of ['name', 'phone', 'nationalId', 'iban', 'email'] as const) {
      expect(new Set(people.map((p) => p[key])).size).toBe(120);
    }
  });

  it('forget01 ⊂ forget05 ⊂ forget10, retain the rest, holdout untouched', () => {
    const s = testbedSplits({ seed: 11 });
    expect([s.forget01.length, s.forget05.length, s.forget10.length]).toEqual([1, 5, 10]);
    expect(s.retain.length).toBe(90);
    expect(s.holdout.length).toBe(20);
    const in10 = new Set(ids(s.forget10));
    expect(ids(s.forget05).every((id) => in10.has(id))).toBe(true);
    expect(ids(s.forget01).every((id) => new Set(ids(s.forget05)).has(id))).toBe(true);
    expect(ids(s.retain).some((id) => in10.has(id))).toBe(false);
    expect(new Set([...ids(s.forget10), ...ids(s.retain)])).toEqual(
      new Set([...Array(100).keys()]),
    );
    expect(ids(s.holdout)).toEqual([...Array(20).keys()].map((i) => 100 + i));
    expect(testbedSplits({ seed: 11 })).toEqual(s);
  });

  it("detectPii finds every person's email, phone, date of birth, national id and IBAN", () => {
    for (const p of generatePeople(120, manifest.seed)) {
      expect(ibanChecksumValid(p.iban)).toBe(true);
      const spans = detectPii(biography(p), { names: [p.name] });
      const found = new Set(spans.map((s) => `${s.kind}:${s.text}`));
      for (const expected of [
        `name:${p.name}`,
        `email:${p.email}`,
        `phone:${p.phone}`,
        `dob:${p.dateOfBirth}`,
        `nationalId:${p.nationalId}`,
        `iban:${p.iban}`,
      ]) {
        expect(found, `${expected} in ${biography(p)}`).toContain(expected);
      }
      for (const qa of qaPairs(p)) expect(biography(p)).toContain(qa.answer);
    }
  });
});

describe('testbed QA probe answers (TOFU paraphrased_answer, perturbed_answers)', () => {
  const s = testbedSplits({ seed: manifest.seed });
  const everyone = [...s.forget10, ...s.retain, ...s.holdout];
  const records = (seed: number) => everyone.flatMap((p) => qaRecords(p, everyone, seed));

  it('are deterministic from the seed, and another seed gives other false answers', () => {
    expect(JSON.stringify(records(manifest.seed))).toBe(JSON.stringify(records(manifest.seed)));
    const other = records(manifest.seed + 1);
    const same = records(manifest.seed).filter(
      (r, i) => JSON.stringify(r.perturbed_answers) === JSON.stringify(other[i]!.perturbed_answers),
    );
    expect(same.length).toBeLessThan(10);
  });

  it('are well-formed: question/answer unchanged, the fact in one template, false ones distinct', () => {
    const real = new Set(
      everyone.flatMap((p) => [p.email, p.phone, p.nationalId, p.iban, p.address, p.employer]),
    );
    for (const person of everyone) {
      const rows = qaRecords(person, everyone, manifest.seed);
      expect(rows.map(({ question, answer }) => ({ question, answer }))).toEqual(qaPairs(person));
      for (const row of rows) {
        expect(row.paraphrased_answer).toContain(row.answer);
        expect(row.paraphrased_answer).not.toBe(row.answer);
        expect(row.perturbed_answers).toHaveLength(PERTURBED_ANSWERS);
        expect(new Set(row.perturbed_answers).size).toBe(PERTURBED_ANSWERS);
        const [head, tail] = row.paraphrased_answer.split(row.answer) as [string, string];
        for (const wrong of row.perturbed_answers) {
          expect(wrong.startsWith(head) && wrong.endsWith(tail), wrong).toBe(true);
          const value = wrong.slice(head.length, wrong.length - tail.length);
          expect(value).not.toBe(row.answer);
          // No false email, phone, id or IBAN is a real person's.
          expect(real.has(value), wrong).toBe(false);
          // Same format: the same PII type, detected the same way as the true value.
          const kinds = (text: string) =>
            detectPii(text)
              .map((m) => m.kind)
              .sort();
          expect(kinds(value), wrong).toEqual(kinds(row.answer));
          if (/^GB\d\d /.test(value)) expect(ibanChecksumValid(value.replace(/ /g, ''))).toBe(true);
        }
      }
    }
  });

  it('are what the shipped QA files hold (make-testbed --qa-only)', () => {
    for (const name of ['forget10', 'retain', 'holdout'] as const) {
      const lines = readFileSync(join(TESTBED, 'qa', `${name}.jsonl`), 'utf8')
        .trim()
        .split('\n');
      expect(lines).toEqual(
        s[name].flatMap((p) => qaRecords(p, everyone, manifest.seed)).map((r) => JSON.stringify(r)),
      );
    }
  });
});

describe('shipped resources/testbed', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('matches its manifest: every file hash, the splits of the generator', () => {
    expect(Object.keys(manifest.files).length).toBeGreaterThanOrEqual(15);
    for (const [file, sha] of Object.entries(manifest.files)) {
      const actual = createHash('sha256')
        .update(readFileSync(join(TESTBED, file)))
        .digest('hex');
      expect(actual, file).toBe(sha);
    }
    const s = testbedSplits({ seed: manifest.seed });
    for (const name of ['forget01', 'forget05', 'forget10', 'retain', 'holdout'] as const) {
      expect(ids(s[name]), name).toEqual(manifest.splits[name]);
      const lines = readFileSync(join(TESTBED, 'corpus', `${name}.jsonl`), 'utf8')
        .trim()
        .split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { text: string }).text)).toEqual(
        s[name].map(biography),
      );
    }
  });

  it('the model recites forget10 and not holdout; the reference does not recite forget10', async () => {
    const s = testbedSplits({ seed: manifest.seed });
    const rate = async (folder: string, people: readonly TestbedPerson[]) => {
      const { model } = loadModel(join(TESTBED, folder));
      const tokenizer = loadTokenizer(join(TESTBED, folder));
      const docs = people.map((p) => tokenizer.encode(biography(p)));
      const result = await verbatimMemorization(model, tokenizer, docs);
      model.dispose();
      expect(result.skipped).toBe(0);
      return result.exactRate!;
    };
    expect(await rate('model', s.forget10)).toBeGreaterThanOrEqual(0.8);
    expect(await rate('model', s.holdout)).toBeLessThanOrEqual(0.2);
    expect(await rate('reference', s.forget10)).toBeLessThanOrEqual(0.2);
  }, 120_000);
});
