import { join, resolve } from 'node:path';
import type { AuditRequest, AuditResult } from '../../shared/audit.ts';
import type { EvalReport } from '../../shared/contracts.ts';
import { UserInputError } from '../../shared/errors.ts';
import { signedReportSummary, writeSignedReport } from '../../main/report/signed.ts';
import { assertCanSign } from '../../main/signing/index.ts';
import { checkAuditRequest } from '../../worker/tasks/audit-inputs.ts';
import { runInWorker } from '../worker.ts';
import { readManifest } from '../../worker/tasks/run-folder.ts';
import { METHODS } from '../../worker/unlearn/methods/index.ts';
import type { Command, GlobalOptions } from '../command.ts';
import { optionalString } from '../options.ts';

type Values = Readonly<Record<string, string | boolean | undefined>>;

const optional = optionalString;

const INPUTS = ['model', 'forget', 'retain', 'holdout', 'qa', 'reference', 'method', 'config'];

export const audit: Command = {
  name: 'audit',
  usage:
    `audit --model <dir> --forget <path> [--retain <path>] [--holdout <path>] [--qa <jsonl>] ` +
    `[--reference <model>] [--names <a,b,...>] --method ${[...METHODS.keys()].join('|')} ` +
    `[--config <json>] --out <run-dir> [--sign <p12>] [--ledger <path>]  |  audit --resume <run-dir> [--names <a,b,...>]`,
  summary: 'eval before, unlearn, eval after: metrics, model and manifest in a run folder',
  options: {
    model: { type: 'string' },
    forget: { type: 'string' },
    retain: { type: 'string' },
    holdout: { type: 'string' },
    qa: { type: 'string' },
    reference: { type: 'string' },
    names: { type: 'string' },
    method: { type: 'string' },
    config: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    sign: { type: 'string' },
    ledger: { type: 'string' },
  },
  positionals: 0,
  async run({ values, global, progress, print }) {
    const request = requestFrom(values, global);
    // Bad input exits 2 here, before a worker starts; the worker checks it again.
    await checkAuditRequest(request);
    // The run ends with a signed report: a missing passphrase is exit 2 now, not after the run.
    const signing = { sign: optional(values, 'sign'), ledgerPath: optional(values, 'ledger') };
    assertCanSign(signing);
    const result: AuditResult = await runInWorker('audit', request, progress, {
      cancelNote: 'cancelling after the current step (a checkpoint is written)…',
      onStep: (s) =>
        progress.step(
          `${request.method} loss ${s.loss.toFixed(4)} |g| ${s.gradNorm.toExponential(2)} ` +
            `${Math.round(s.tokensPerSecond)} tok/s eta ${Math.round(s.etaSeconds)}s`,
          s.step,
          s.totalSteps,
        ),
    });
    let report: AuditReportFile | undefined;
    if (result.state === 'done') {
      progress.note('writing the signed report');
      const written = await writeSignedReport(result.runDir, signing);
      report = signedReportSummary(written);
    }
    print(
      report === undefined ? result : { ...result, report },
      humanText(result) + (report === undefined ? '' : `\n${reportLine(report)}`),
    );
    if (result.state === 'cancelled')
      throw new Error(
        `cancelled; the run folder is marked cancelled: continue with nepenthe audit --resume ${result.runDir}`,
      );
  },
};

/** The signed report an audit ends with (`report` in `audit --json`). */
interface AuditReportFile {
  readonly path: string;
  readonly sha256: string;
  readonly signer: string;
  readonly selfSigned: boolean;
  readonly verdict: 'pass' | 'fail';
  readonly ledger: { readonly path: string; readonly seq: number; readonly hash: string };
}

function reportLine(r: AuditReportFile): string {
  return (
    `report  ${r.path}  verdict ${r.verdict.toUpperCase()}  signed by ${r.signer}` +
    `${r.selfSigned ? ' (self-signed)' : ''}  ledger seq ${r.ledger.seq} (${r.ledger.path})`
  );
}

/**
 * The request from the flags, or with --resume from the run folder's manifest (which stores
 * it, paths absolute). Flags given beside --resume must agree with the manifest; runAudit
 * refuses the run otherwise. `--names` is never stored (PII), so it must be given again.
 */
function requestFrom(values: Values, global: GlobalOptions): AuditRequest {
  const names = optional(values, 'names')
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const resume = optional(values, 'resume');
  if (resume === undefined) {
    const required = (name: string) => {
      const v = optional(values, name);
      if (v === undefined) throw new UserInputError(undefined, `--${name} is required`);
      return v;
    };
    return {
      model: required('model'),
      forget: required('forget'),
      method: required('method'),
      out: required('out'),
      backend: global.backend,
      seed: global.seed,
      ...pick(values, ['retain', 'holdout', 'qa', 'reference', 'config']),
      ...(names === undefined ? {} : { names }),
    };
  }
  const out = optional(values, 'out');
  if (out !== undefined && resolve(out) !== resolve(resume))
    throw new UserInputError(out, `--out and --resume name different run folders`);
  const prior = readManifest(resume).request;
  if (prior.names !== undefined && names === undefined)
    throw new UserInputError(
      join(resume, 'manifest.json'),
      `the run was started with --names (${prior.names.count}), which are not stored; give them again`,
    );
  const given = pick(values, INPUTS);
  // --backend and --seed have defaults, so only a value other than the default can disagree.
  const backend = global.backend === 'auto' ? prior.backend : global.backend;
  const seed = global.seed === 0 ? prior.seed : global.seed;
  if (backend !== prior.backend || seed !== prior.seed)
    throw new UserInputError(
      resume,
      `was started with --backend ${prior.backend} --seed ${prior.seed}; resume it with the same`,
    );
  const { names: _stored, ...stored } = prior;
  return {
    ...stored,
    ...given,
    ...(names === undefined ? {} : { names }),
    out: resume,
    resume: true,
    backend,
    seed,
  } as AuditRequest;
}

function pick(values: Values, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const v = optional(values, key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function humanText(result: AuditResult): string {
  const before = result.metricsBefore;
  const after = result.metricsAfter;
  const rows: [string, (r: EvalReport) => number | null | undefined, number][] = [];
  for (const set of ['forget', 'retain', 'holdout'] as const) {
    if (before.sets[set] === undefined) continue;
    rows.push([`${set} verbatim exact`, (r) => r.sets[set]?.verbatim.exactRate, 3]);
    rows.push([`${set} verbatim rougeL`, (r) => r.sets[set]?.verbatim.rougeL, 3]);
    rows.push([`${set} meanNll`, (r) => r.sets[set]?.meanNll, 4]);
  }
  for (const set of ['forget', 'retain'] as const)
    if (before.knowledge?.[set] !== undefined)
      rows.push([`knowledge ${set} rougeL`, (r) => r.knowledge?.[set]?.rougeL, 3]);
  rows.push(['MIA loss AUC', (r) => r.mia?.loss?.auc, 3]);
  rows.push(['MIA minK AUC', (r) => r.mia?.minK?.auc, 3]);
  rows.push(['privLeak', (r) => r.privLeak, 2]);
  rows.push([
    before.forgetQualityDefinition === 'mean-nll-fallback'
      ? 'forgetQuality (fallback: mean-NLL KS)'
      : 'forgetQuality',
    (r) => r.forgetQuality,
    4,
  ]);
  if (before.modelUtility !== undefined)
    rows.push(['modelUtility (TOFU, retain)', (r) => r.modelUtility?.value, 4]);

  const cell = (x: number | null | undefined, digits: number) =>
    (x === null || x === undefined ? '—' : x.toFixed(digits)).padStart(10);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [`${''.padEnd(width)}  ${'before'.padStart(10)}  ${'after'.padStart(10)}`];
  for (const [label, get, digits] of rows)
    lines.push(
      `${label.padEnd(width)}  ${cell(get(before), digits)}  ${after ? cell(get(after), digits) : '—'.padStart(10)}`,
    );
  const t = result.training;
  if (t !== null)
    lines.push(
      `training  ${t.method} on ${t.backend}: ${t.steps}/${t.totalSteps} steps in ${t.seconds.toFixed(1)} s` +
        (t.resumedFrom > 0 ? ` (resumed at step ${t.resumedFrom})` : ''),
    );
  lines.push(`run       ${result.runDir} (${result.state})`);
  return lines.join('\n');
}
