/**
 * The report's calibrated-mode page: how the run decided when to stop (the rule in words, with
 * the numbers it used), a chart of the attack's AUC at each check against the target band, the
 * decisions that changed something, and which holdout documents steered the run and which only
 * the metrics saw. Absent for a run with a fixed learning rate and epoch count.
 */
import { ACTION_WORDS, ATTACK_NAMES, checkInterval } from '../../shared/calibration-text.ts';
import type { CalibrationDecision, TrainingLog } from '../../shared/training.ts';
import { calibrationSvg } from './charts.ts';
import { FONT, type Layout } from './layout.ts';
import { redact } from './mask.ts';
import type { FinishedRun } from './run-folder.ts';

type Calibration = NonNullable<TrainingLog['calibration']>;

/** Up to this many checks the table lists every one; above, only those that changed something. */
export const ALL_DECISIONS_UP_TO = 24;

const percent = (share: number): string => `${Math.round(share * 100)} %`;

/** The rule in words, with the constants the run recorded (older logs: without them). */
export function ruleText(run: FinishedRun, calibration: Calibration): string {
  const attack = ATTACK_NAMES[calibration.attack ?? 'loss'];
  const t = calibration.targetAuc;
  const source =
    run.manifest.inputs.reference !== undefined
      ? 'the reference model’s own AUC on the same documents (a model never trained on the forget documents)'
      : t === 0.5
        ? 'what a model with no memory of the forget documents scores'
        : 'as set for the run';
  const r = calibration.rule;
  const stop = r ? `at most ${(t + r.stopMargin).toFixed(3)}` : 'near the target';
  const backoff = r
    ? `the retain probe (a fixed sample of retain documents) recites less than ${percent(r.retainKept)} of what it recited before training, or its mean NLL rises by more than ${percent(r.retainMargin)} and ${r.retainSlack} nats, or the AUC falls below ${(t - r.band).toFixed(3)} (the forget documents would stand out by a high loss); after ${r.maxBackoffs} back-offs the run ends where it is`
    : 'the retain probe (a fixed sample of retain documents) suffers, or the AUC falls well below the target';
  return (
    `This run was given no learning rate or number of epochs: it steered itself by documents the model never saw. ` +
    `${checkInterval(calibration.checkEvery)} it measured the ${attack}’s AUC — how well the attack tells the ${run.training.forgetSequences} forget sequences from ${calibration.calibrationSequences} calibration sequences (1: recognised at once; 0.5: a coin toss). ` +
    `The target is ${t.toFixed(3)}, ${source}. The run stops when the AUC is ${stop}. ` +
    `It backs off — returns to the last accepted state and halves the learning rate — when ${backoff}.` +
    (r ? ` The learning rate is never raised above ${r.maxLrScale}× the configured one.` : '') +
    ' The calibration documents are held out of the metrics in this report.'
  );
}

/** What the run came to, in one sentence. */
export function outcomeText(training: TrainingLog): string {
  const steps = training.steps.length;
  if (training.stoppedEarly !== undefined)
    return training.stoppedEarly.step === 0
      ? `Outcome: no step was taken — ${training.stoppedEarly.reason}.`
      : `Outcome: stopped after step ${training.stoppedEarly.step} of a budget of ${training.totalSteps} — ${training.stoppedEarly.reason}.`;
  if (training.cancelled) return `Outcome: cancelled after ${steps} steps.`;
  return `Outcome: the whole budget of ${training.totalSteps} steps ran without reaching the target.`;
}

function counts(decisions: readonly CalibrationDecision[]): string {
  const n = (action: CalibrationDecision['action']) =>
    decisions.filter((d) => d.action === action).length;
  return `${decisions.length} checks: ${n('accept')} kept going, ${n('speedup')} raised the learning rate, ${n('backoff')} backed off, ${n('stop')} stopped.`;
}

export function calibrationSection(l: Layout, run: FinishedRun): void {
  const calibration = run.training.calibration;
  const split = run.manifest.holdoutSplit;
  if (calibration === undefined && split === undefined) return;
  l.newPage();
  l.heading('When to stop: calibrated mode');
  if (calibration === undefined) {
    l.paragraph(
      'The method steered itself by the calibration documents listed below (its target loss level); the metrics in this report never read them.',
      8.5,
    );
  } else {
    l.paragraph(ruleText(run, calibration), 8.5);
    l.paragraph(`${outcomeText(run.training)} ${counts(calibration.decisions)}`, 8.5, FONT.bold);
    const { decisions, rule } = calibration;
    if (decisions.length > 0) {
      l.svg(
        calibrationSvg(
          decisions,
          {
            auc: calibration.targetAuc,
            ...(rule ? { stop: rule.stopMargin, band: rule.band } : {}),
          },
          ATTACK_NAMES[calibration.attack ?? 'loss'],
          l.width,
          210,
        ),
        l.width,
        210,
      );
      const listed =
        decisions.length <= ALL_DECISIONS_UP_TO
          ? decisions
          : decisions.filter((d) => d.action !== 'accept');
      l.table(
        [
          { header: 'step', width: 32, align: 'right' },
          { header: 'decision', width: 78 },
          { header: 'AUC', width: 38, align: 'right' },
          { header: 'retain recited', width: 48, align: 'right' },
          { header: 'retain NLL', width: 44, align: 'right' },
          { header: 'lr ×', width: 32, align: 'right' },
          { header: 'why' },
        ],
        listed.map((d) => [
          String(d.step),
          ACTION_WORDS[d.action],
          d.auc.toFixed(3),
          d.retainRecited === null ? '—' : d.retainRecited.toFixed(2),
          d.retainNll.toFixed(3),
          String(d.lrScale),
          redact(d.reason),
        ]),
        { fontSize: 7.5 },
      );
      if (listed.length < decisions.length)
        l.paragraph(
          `${decisions.length - listed.length} routine checks (“kept going”) are not listed; every check is in the attached training.json.`,
          8,
        );
    }
  }
  if (split !== undefined) {
    l.heading('Holdout documents: which steered the run, which were measured');
    const ids = (list: readonly string[]) => list.map(redact).join(', ') || '—';
    l.paragraph(`Calibration (steered the run, ${split.calibration.length}):`, 8.5, FONT.bold);
    l.paragraph(ids(split.calibration), 7.5, FONT.mono);
    l.paragraph(
      `Evaluation (only in this report’s metrics, never read by the run, ${split.evaluation.length}):`,
      8.5,
      FONT.bold,
    );
    l.paragraph(ids(split.evaluation), 7.5, FONT.mono);
  }
}
