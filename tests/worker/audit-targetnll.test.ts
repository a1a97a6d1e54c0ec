/**
 * An audit with a method that steers itself by unseen documents (targetnll): half the holdout
 * steers the run, the other half is the holdout of the metrics, and the run never reads that
 * half — checked by changing every evaluation document's text: the training is the same step
 * for step, only the metrics move. Plus the split itself, the decisions sent live and shown in
 * the report, and the refusal without a holdout.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RunManifest, type AuditRequest } from '../../src/shared/audit.ts';
import { UserInputError } from '../../src/shared/errors.ts';
import { TrainingLog, type CalibrationUpdate } from '../../src/shared/training.ts';
import { splitHoldout } from '../../src/worker/data/holdout-split.ts';
import { runAudit } from '../../src/worker/tasks/audit.ts';
import { CALIBRATED_RULE } from '../../src/worker/unlearn/calibrated.ts';
import { ACTION_WORDS, decisionLine } from '../../src/shared/calibration-text.ts';
import { renderReport } from '../../src/main/report/render.ts';

const testbed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed/${p}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nepenthe-audit-targetnll-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The decisions the first audit sent as it took them. */
const live: CalibrationUpdate[] = [];

const holdoutLines = readFileSync(testbed('corpus/holdout.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
const holdoutDocs = holdoutLines.map((line, i) => ({
  id: `holdout.jsonl:${i + 1}`,
  text: (JSON.parse(line) as { text: string }).text,
}));

const request = (out: string, holdout: string | undefined): AuditRequest => ({
  model: testbed('model'),
  forget: testbed('corpus/forget10.jsonl'),
  retain: testbed('corpus/retain.jsonl'),
  ...(holdout === undefined ? {} : { holdout }),
  method: 'targetnll',
  out,
  backend: 'auto',
  seed: 0,
});
const read = (runDir: string, file: string): unknown =>
  JSON.parse(readFileSync(join(runDir, file), 'utf8'));

describe('splitHoldout', () => {
  it('halves the documents by a seeded permutation, each part in file order', () => {
    const a = splitHoldout(holdoutDocs, 0);
    expect(a.calibration).toHaveLength(10);
    expect(a.evaluation).toHaveLength(10);
    const ids = (docs: readonly { id: string }[]) => docs.map((d) => d.id);
    expect(new Set([...ids(a.calibration), ...ids(a.evaluation)]).size).toBe(20);
    expect(splitHoldout(holdoutDocs, 0)).toEqual(a);
    expect(ids(splitHoldout(holdoutDocs, 1).calibration)).not.toEqual(ids(a.calibration));
    const index = (id: string) => Number(id.split(':')[1]);
    expect(ids(a.calibration).map(index)).toEqual(
      [...ids(a.calibration).map(index)].sort((x, y) => x - y),
    );
    expect(splitHoldout(holdoutDocs.slice(0, 5), 0).calibration).toHaveLength(3);
    expect(() => splitHoldout(holdoutDocs.slice(0, 3), 0)).toThrow(RangeError);
  });
});

describe('an audit with targetnll', () => {
  it('steers by half the holdout and never reads the other half', async () => {
    const first = join(dir, 'first');
    await runAudit(request(first, testbed('corpus/holdout.jsonl')), {
      onDecision: (update) => live.push(update),
    });
    const manifest = RunManifest.parse(read(first, 'manifest.json'));
    const split = manifest.holdoutSplit!;
    expect(split.calibration).toHaveLength(10);
    expect(split.evaluation).toHaveLength(10);
    expect(split.calibration.filter((id) => split.evaluation.includes(id))).toEqual([]);
    const before = read(first, 'metrics-before.json') as {
      sets: { holdout: { documents: number } };
    };
    expect(before.sets.holdout.documents).toBe(10); // the evaluation half only
    const log = TrainingLog.parse(read(first, 'model/training.json'));
    expect(log.stoppedEarly).toBeDefined();

    // The evaluation half rewritten (other text, same ids): the same training, step for step.
    const evaluation = new Set(split.evaluation.map((id) => Number(id.split(':').at(-1)) - 1));
    const altered = join(dir, 'holdout-altered.jsonl');
    writeFileSync(
      altered,
      holdoutLines
        .map((line, i) =>
          evaluation.has(i)
            ? JSON.stringify({
                text: (JSON.parse(line) as { text: string }).text.split(' ').reverse().join(' '),
              })
            : line,
        )
        .join('\n'),
    );
    const second = join(dir, 'second');
    await runAudit(request(second, altered));
    const again = TrainingLog.parse(read(second, 'model/training.json'));
    const strip = (l: TrainingLog) =>
      l.steps.map((s) => ({ step: s.step, loss: s.loss, terms: s.terms, extra: s.extra }));
    expect(strip(again)).toEqual(strip(log));
    expect(again.stoppedEarly).toEqual(log.stoppedEarly);
    const afterA = read(first, 'metrics-after.json') as { sets: { holdout: { meanNll: number } } };
    const afterB = read(second, 'metrics-after.json') as { sets: { holdout: { meanNll: number } } };
    expect(afterB.sets.holdout.meanNll).not.toBe(afterA.sets.holdout.meanNll); // it was evaluated
  }, 240_000);

  it('sends each decision as it is taken, the same ones training.json records', () => {
    const log = TrainingLog.parse(read(join(dir, 'first'), 'training.json'));
    const calibration = log.calibration!;
    expect(calibration.decisions.length).toBeGreaterThan(1);
    expect(live.map((u) => u.decision)).toEqual(calibration.decisions);
    expect(new Set(live.map((u) => u.targetAuc))).toEqual(new Set([calibration.targetAuc]));
    expect(new Set(live.map((u) => u.attack))).toEqual(new Set([calibration.attack]));
    expect(calibration.rule).toEqual(CALIBRATED_RULE);
    // The CLI's line for each: the action in words, the AUC and the target.
    const stop = live.at(-1)!;
    expect(decisionLine(stop)).toContain(`step ${stop.decision.step}: stopped`);
    expect(decisionLine(stop)).toContain(`AUC ${stop.decision.auc.toFixed(3)}`);
  });

  it('has the report show the rule, every decision that changed something, and the split', async () => {
    const runDir = join(dir, 'first');
    const pdf = join(dir, 'first.pdf');
    writeFileSync(pdf, await renderReport(runDir));
    const text = execFileSync('pdftotext', [pdf, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    const log = TrainingLog.parse(read(runDir, 'training.json'));
    const manifest = RunManifest.parse(read(runDir, 'manifest.json'));
    const { targetAuc, decisions } = log.calibration!;
    expect(text).toContain('When to stop: calibrated mode');
    expect(text).toContain(`The target is ${targetAuc.toFixed(3)}`);
    expect(text).toContain(`at most ${(targetAuc + CALIBRATED_RULE.stopMargin).toFixed(3)}`);
    expect(text).toContain(`${decisions.length} checks:`);
    expect(text).toContain(
      `stopped after step ${log.stoppedEarly!.step} of a budget of ${log.totalSteps}`,
    );
    for (const d of decisions.filter((x) => x.action === 'backoff' || x.action === 'stop'))
      expect(text).toContain(`${d.step} ${ACTION_WORDS[d.action]} ${d.auc.toFixed(3)}`);
    const ids = (list: readonly string[]) => list.join(', ');
    expect(text).toContain(
      `Calibration (steered the run, ${manifest.holdoutSplit!.calibration.length}): ${ids(manifest.holdoutSplit!.calibration)}`,
    );
    expect(text).toContain(ids(manifest.holdoutSplit!.evaluation));
  }, 120_000);

  it('is refused without a holdout, before anything is written', async () => {
    const out = join(dir, 'refused');
    await expect(runAudit(request(out, undefined))).rejects.toThrow(UserInputError);
    await expect(runAudit(request(out, undefined))).rejects.toThrow(/--holdout/);
  });
});
