/**
 * `nepenthe demo`: the whole product on the bundled testbed (resources/testbed: a small GPT-2
 * that memorized 100 fictitious people, and a reference model trained without the 10 forget
 * people). Two audits through the worker, each eval before → unlearn → eval after into a run
 * folder: SAU on a 50 %-magnitude-pruned copy, and sine-bounded LoRA on the dense model, in
 * calibrated mode — no config, as an officer runs them: half the holdout steers each run, the
 * reference model sets where it stops — or, with `--presets`, with the fixed presets tuned for
 * the testbed (resources/testbed/presets); then each run's signed PDF report. Prints a
 * before/after table and where the run folders and reports are.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditRequest, AuditResult } from '../../shared/audit.ts';
import type { EvalReport } from '../../shared/contracts.ts';
import type { JobKind, JobOf, ResultOf } from '../../shared/worker-protocol.ts';
import { writeSignedReport } from '../../main/report/signed.ts';
import { createSelfSignedP12, P12_PASSPHRASE_ENV, verifyPdf } from '../../main/signing/index.ts';
import { newJobId, WorkerHost } from '../../main/worker-host/index.ts';
import { checkOutputTarget } from '../../worker/tasks/output-target.ts';
import type { Command } from '../command.ts';

const TESTBED = fileURLToPath(new URL('../../../resources/testbed/', import.meta.url));
const at = (p: string) => join(TESTBED, p);

interface DemoRun {
  readonly label: string;
  readonly method: 'sau' | 'bounded';
  readonly result: AuditResult;
  readonly seconds: number;
  readonly report?: { readonly path: string; readonly verdict: string; readonly valid: boolean };
}

/**
 * Signs each run's report with a throw-away self-signed identity made for this demo (its
 * passphrase random and never stored, so the key is useless afterwards) and records it in a
 * ledger inside the demo folder: the demo shows the whole product without asking for a
 * passphrase, and never touches the officer's own identity or ledger.
 */
async function signedReports(out: string, runs: DemoRun[]): Promise<DemoRun[]> {
  const passphrase = randomBytes(24).toString('base64url');
  const identity = join(out, 'demo-identity.p12');
  const p12 = createSelfSignedP12({
    commonName: 'Nepenthe demo (not for real reports)',
    passphrase,
  });
  writeFileSync(identity, p12, { mode: 0o600 });
  const signed: DemoRun[] = [];
  for (const run of runs) {
    const written = await writeSignedReport(run.result.runDir, {
      sign: identity,
      ledgerPath: join(out, 'ledger.jsonl'),
      passphrases: {
        env: { [P12_PASSPHRASE_ENV]: passphrase },
        interactive: false,
        prompt: () => Promise.resolve(''),
      },
    });
    const verified = verifyPdf(readFileSync(written.out));
    signed.push({
      ...run,
      report: {
        path: written.out,
        verdict: written.rendered.verdict.pass ? 'PASS' : 'FAIL',
        valid: verified.valid,
      },
    });
  }
  return signed;
}

export const demo: Command = {
  name: 'demo',
  usage: 'demo [--out <dir>] [--presets]',
  summary:
    'audit the bundled testbed with SAU (pruned copy) and bounded LoRA in calibrated mode (--presets: the tuned fixed presets); prints before/after',
  options: { out: { type: 'string' }, presets: { type: 'boolean' } },
  positionals: 0,
  async run({ values, global, progress, print }) {
    const out = resolve(
      typeof values.out === 'string' ? values.out : `nepenthe-demo-${timestamp()}`,
    );
    checkOutputTarget(out, { kind: 'folder' }); // its prune and audits claim their own outputs
    if (!existsSync(out)) mkdirSync(out); // never recursive: the parent was checked
    const engine = { backend: global.backend, seed: global.seed };
    const host = new WorkerHost(
      process.env.NEPENTHE_DEBUG ? { onOutput: (text) => process.stderr.write(text) } : {},
    );
    const run = <K extends JobKind>(kind: K, request: JobOf<K>['request']) => {
      const id = newJobId();
      const cancel = () => host.cancel(id);
      process.once('SIGINT', cancel);
      return host
        .run({ id, kind, request } as JobOf<K>, {
          onProgress: (label, done, total) => progress.step(label, done, total),
          onLog: (_level, message) => progress.note(message),
          onStep: (s) => progress.step(`training loss ${s.loss.toFixed(3)}`, s.step, s.totalSteps),
        })
        .finally(() => process.off('SIGINT', cancel)) as Promise<ResultOf<K>>;
    };
    const common = {
      forget: at('corpus/forget10.jsonl'),
      retain: at('corpus/retain.jsonl'),
      holdout: at('corpus/holdout.jsonl'),
      reference: at('reference'),
      ...engine,
    };
    let runs: DemoRun[] = [];
    try {
      progress.note('1/3 pruning the testbed model to 50 % sparsity (magnitude) for SAU');
      const pruned = join(out, 'testbed-pruned-50');
      await run('prune', {
        model: at('model'),
        method: 'magnitude',
        sparsity: '0.5',
        out: pruned,
        ...engine,
      });
      const audits: { label: string; method: 'sau' | 'bounded'; model: string }[] = [
        { label: 'SAU on the 50 % pruned model', method: 'sau', model: pruned },
        { label: 'bounded LoRA (sine) on the dense model', method: 'bounded', model: at('model') },
      ];
      for (const [i, a] of audits.entries()) {
        progress.note(`${i + 2}/3 audit: ${a.label}`);
        const started = performance.now();
        const request: AuditRequest = {
          ...common,
          model: a.model,
          method: a.method,
          ...(values.presets === true ? { config: at(`presets/${a.method}.json`) } : {}),
          out: join(out, a.method),
        };
        const result = await run('audit', request);
        if (result.state !== 'done')
          throw new Error(
            `the ${a.method} audit was cancelled; its run folder is ${result.runDir}`,
          );
        runs.push({ ...a, result, seconds: (performance.now() - started) / 1000 });
      }
    } finally {
      await host.dispose();
    }
    progress.note('writing the signed PDF reports');
    runs = await signedReports(out, runs);
    print(
      {
        out,
        runs: runs.map((r) => ({
          method: r.method,
          seconds: r.seconds,
          report: r.report,
          ...r.result,
        })),
      },
      table(out, runs, values.presets === true),
    );
  },
};

function table(out: string, runs: readonly DemoRun[], presets: boolean): string {
  const f = (x: number | null | undefined, d = 2) =>
    x === null || x === undefined ? '—' : x.toFixed(d);
  const exact = (r: EvalReport, set: 'forget' | 'retain' | 'holdout') =>
    r.sets[set]?.verbatim.exactRate;
  const lines = [
    '',
    'Forgetting 10 fictitious people (forget10) from the testbed model; retain = the other 90.',
    'exact = share of documents whose next 32 tokens the model recites verbatim after a 32-token prompt.',
    '',
    '| run | forget exact | retain exact | holdout exact | PII leak | MIA AUC (loss) | PrivLeak | Forget Quality | time |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of runs) {
    const before = r.result.metricsBefore;
    const after = r.result.metricsAfter!;
    const arrow = (set: 'forget' | 'retain' | 'holdout') =>
      `${f(exact(before, set))} → ${f(exact(after, set))}`;
    lines.push(
      `| ${r.label} | ${arrow('forget')} | ${arrow('retain')} | ${arrow('holdout')} | ` +
        `${f(before.sets.forget?.pii?.leakRate)} → ${f(after.sets.forget?.pii?.leakRate)} | ` +
        `${f(before.mia?.loss?.auc)} → ${f(after.mia?.loss?.auc)} | ${f(before.privLeak, 1)} → ${f(after.privLeak, 1)} | ` +
        `${f(before.forgetQuality, 6)} → ${f(after.forgetQuality, 6)} | ${r.seconds.toFixed(0)} s |`,
    );
  }
  lines.push(
    '',
    'Ideal (the reference model, never trained on forget10): forget exact 0, PrivLeak 0, Forget Quality 1.',
    presets
      ? 'Fixed presets: recitation and PII leakage fall, but membership inference still recognises the forget set.'
      : 'Calibrated mode: each run chose its learning rate and when to stop, aiming at the reference model\'s own Min-K% AUC (every decision on the report\'s "When to stop" page).',
    'See bench/RESULTS.md "Methods on the testbed".',
    '',
    'Run folders (metrics before/after, unlearned model, training.json, manifest.json, report.pdf):',
  );
  for (const r of runs) lines.push(`  ${r.result.runDir}`);
  lines.push(`  pruned model: ${join(out, 'testbed-pruned-50')}`);
  lines.push(
    '',
    'Signed reports (a throw-away demo identity; check one with: nepenthe verify <pdf>):',
  );
  for (const r of runs) {
    if (r.report !== undefined) {
      const signature = r.report.valid ? 'valid' : 'INVALID';
      lines.push(`  ${r.report.path}  verdict ${r.report.verdict}  signature ${signature}`);
    }
  }
  return lines.join('\n');
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
