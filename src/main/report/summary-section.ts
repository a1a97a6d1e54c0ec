/**
 * The report's first page, for an auditor who is not an engineer: what was asked (model, how
 * many documents of each kind, method, calibrated or fixed), what was found (recitation,
 * personal data, membership inference against the reference model, retain kept) and the
 * verdict with each criterion in a sentence. Numbers in plain form: counts "3 of 10", shares in
 * per cent, AUCs with two decimals; the exact values follow on the next page and in the appendix.
 */
import { basename } from 'node:path';
import { ATTACK_NAMES, checkInterval } from '../../shared/calibration-text.ts';
import type { EvalReport } from '../../shared/contracts.ts';
import { formatAuc, formatShare, formatTime } from './format.ts';
import { FONT, type Layout } from './layout.ts';
import { redact } from './mask.ts';
import { readModelIdentity } from './model-identity.ts';
import type { FinishedRun } from './run-folder.ts';
import type { Verdict } from './verdict.ts';

type SetReport = EvalReport['sets']['forget'];

/** 124,439,808 → "124.4 million"; small counts as they are. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} billion`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} million`;
  return n.toLocaleString('en-US');
}

/** "7 of 10" from a rate over the documents the verbatim test scored. */
function recited(set: SetReport | undefined, rate: number | null | undefined): string {
  // `verbatim.scored` (looseObject: untyped) counts documents long enough for the test.
  const scored = typeof set?.verbatim.scored === 'number' ? set.verbatim.scored : set?.documents;
  if (rate === null || rate === undefined || scored === undefined) return 'not measured';
  return `${Math.round(rate * scored)} of ${scored}`;
}

const documents = (n: number | undefined, what: string) => {
  const kind = what ? `${what} ` : '';
  return n === undefined ? `no ${kind}documents` : `${n} ${kind}document${n === 1 ? '' : 's'}`;
};

export function askedText(run: FinishedRun): string[] {
  const { manifest, before, training } = run;
  const request = manifest.request;
  const identity = readModelIdentity(request.model);
  const model = `the model “${redact(basename(request.model))}” (${before.model.architecture}${identity ? `, ${formatCount(identity.parameters)} parameters` : ''})`;
  const file = (path: string | undefined) => (path ? ` (${redact(basename(path))})` : '');
  const split = manifest.holdoutSplit;
  const holdoutCount = split
    ? split.calibration.length + split.evaluation.length
    : before.sets.holdout?.documents;
  const holdout =
    holdoutCount === undefined
      ? 'No holdout documents were given, so membership could not be tested.'
      : `${documents(holdoutCount, 'holdout')}${file(request.holdout)} — texts of the same kind that the model never saw — are the yardstick for “not memorised”` +
        (split
          ? `: ${split.calibration.length} of them steered the run and the other ${split.evaluation.length} were kept apart for the measurements in this report.`
          : '.');
  const reference = manifest.inputs.reference
    ? 'A reference model, one that never saw the forget documents, sets the level a forgotten document should reach.'
    : 'No reference model was given: the verdict falls back on rules of thumb, marked as such.';
  const stopped = manifest.training?.stoppedEarly;
  const steps = manifest.training
    ? `${manifest.training.steps} training steps of a budget of ${manifest.training.totalSteps}`
    : 'no training steps recorded';
  const calibration = training.calibration;
  const mode = calibration
    ? `Calibrated mode: the run was given no learning rate or number of epochs. ${checkInterval(calibration.checkEvery)} it measured how well the ${ATTACK_NAMES[calibration.attack ?? 'loss']} recognised the forget documents, and ${stopped && stopped.step > 0 ? `it stopped after step ${stopped.step} of a budget of ${manifest.training!.totalSteps}, when that came down to the target of ${formatAuc(calibration.targetAuc)}` : `it took ${steps}`} (page “When to stop”).`
    : `Fixed settings: learning rate ${String(manifest.config.lr)} for ${String(manifest.config.epochs)} epochs, ${steps}${stopped ? `; it stopped early: ${redact(stopped.reason)}` : ''}.`;
  return [
    `Nepenthe was asked to make ${model} forget ${documents(before.sets.forget.documents, '')}${file(request.forget)}, while keeping what it knows from ${documents(before.sets.retain?.documents, 'retain')}${file(request.retain)}. ${holdout} ${reference}`,
    `Method: ${manifest.method}. ${mode}`,
  ];
}

/** Which attack the verdict judges membership by: Min-K% with PrivLeak, else the loss attack. */
function membershipAttack(after: EvalReport): 'minK' | 'loss' {
  return after.privLeak !== null && after.privLeak !== undefined ? 'minK' : 'loss';
}

export function foundText(run: FinishedRun): string[] {
  const { before, after } = run;
  const forget = (r: EvalReport) => r.sets.forget;
  const out: string[] = [];
  const prefix = forget(after).verbatim.prefixTokens;
  const reference = forget(after).referenceVerbatimExactRate;
  out.push(
    `Recitation: given the first ${prefix} tokens of each forget document, the model continued ${recited(forget(before), forget(before).verbatim.exactRate)} word for word before unlearning and ${recited(forget(after), forget(after).verbatim.exactRate)} after` +
      (reference === undefined || reference === null
        ? '.'
        : ` (the reference model: ${recited(forget(after), reference)}).`),
  );
  const pii = (r: EvalReport) => forget(r).pii;
  const [pb, pa] = [pii(before), pii(after)];
  if (pb && pa && pa.probes > 0) {
    const any =
      pb.anyPrompt && pa.anyPrompt
        ? ` Trying several kinds of prompt per item, at least one got ${pb.anyPrompt.leaked} out before and ${pa.anyPrompt.leaked} after.`
        : '';
    out.push(
      `Personal data: of ${pa.probes} personal-data items in the forget documents (emails, phone numbers, IBANs, …), the model completed ${pb.leaked ?? 'none'} before unlearning and ${pa.leaked ?? 'none'} after, when prompted with the text that precedes each item.${any}`,
    );
  } else out.push('Personal data: the forget documents were not probed for personal data.');
  const attack = membershipAttack(after);
  const a = after.mia?.[attack];
  const b = before.mia?.[attack];
  if (a === undefined) out.push('Membership: not tested (no holdout documents).');
  else {
    const ref = a.referenceAuc;
    const compare =
      ref === undefined
        ? ' With no reference model to compare against, 0.5 is the ideal.'
        : ` On the reference model, which never saw them, the same attack scores ${formatAuc(ref)}: after unlearning the attacker does ${Math.abs(a.auc - ref) <= 0.05 ? 'about as well as' : a.auc > ref ? 'still better than' : 'worse than'} on a model that never saw the documents${a.auc < ref - 0.05 ? ' (the forget documents now stand out as too unfamiliar)' : ''}.`;
    out.push(
      `Membership: an attacker using the ${ATTACK_NAMES[attack]} test tells the forget documents from unseen ones with an AUC of ${formatAuc(b?.auc)} before unlearning and ${formatAuc(a.auc)} after (0.5 is a coin toss, 1 a certain recognition).${compare}`,
    );
  }
  const retain = (r: EvalReport) => r.sets.retain;
  const [rb, ra] = [retain(before), retain(after)];
  out.push(
    rb && ra
      ? `Retain kept: of the ${rb.documents} retain documents, the model continued ${recited(rb, rb.verbatim.exactRate)} word for word before unlearning and ${recited(ra, ra.verbatim.exactRate)} after (${formatShare(rb.verbatim.exactRate)} → ${formatShare(ra.verbatim.exactRate)}).`
      : 'Retain kept: no retain set was evaluated.',
  );
  return out;
}

export function summarySection(l: Layout, run: FinishedRun, verdict: Verdict): void {
  const { manifest } = run;
  l.title('Unlearning audit report');
  l.paragraph(
    `Run ${redact(basename(run.dir))} · method ${manifest.method} · finished ${formatTime(manifest.finished ?? manifest.started)}`,
    10,
  );
  const colour = verdict.pass ? '#1e7b34' : '#b3261e';
  l.paragraph(verdict.pass ? 'VERDICT: PASS' : 'VERDICT: FAIL', 22, FONT.bold, colour);
  l.heading('What was asked');
  for (const text of askedText(run)) l.paragraph(text);
  l.heading('What was found');
  for (const text of foundText(run)) l.bullet(text);
  l.heading('The verdict and why');
  const met = verdict.criteria.filter((c) => c.pass === true).length;
  l.paragraph(
    verdict.pass
      ? `PASS: all ${verdict.criteria.length} criteria are met.`
      : `FAIL: ${met} of ${verdict.criteria.length} criteria are met; a criterion not met or not measured fails the audit.`,
    9.5,
    FONT.bold,
  );
  for (const c of verdict.criteria) l.bullet(`${c.name}. ${c.explanation}`);
  l.paragraph(
    'The next page gives each criterion’s exact numbers and thresholds and the model’s identity (sha256 of the weights); the appendix lists every number measured.',
    8.5,
    FONT.regular,
    '#444',
  );
}
