/**
 * The PDF report of a real run folder: a tiny graddiff audit of the testbed (forget01, five
 * retain documents, the holdout and the reference) through the real CLI, then renderReport.
 * pdftotext must show every metric name and its after-value as the report formats it, the
 * method, "page n of N", and none of the forget person's personal data; pdffonts must show the
 * fonts embedded; the four JSON files must be attached byte for byte; rendering takes < 5 s.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAuc, formatShare, formatValue } from '../../src/main/report/format.ts';
import { flatten } from '../../src/main/report/metric-rows.ts';
import { renderReport, renderReportDetailed } from '../../src/main/report/render.ts';
import { EvalReport } from '../../src/shared/contracts.ts';
import { detectPii } from '../../src/worker/data/pii.ts';
import { runCli } from '../cli/run-cli.ts';
import { auditTestbed, testbed } from './testbed-run.ts';

const FORGET = testbed('corpus/forget01.jsonl');
const NAME = 'Dener Fatalar';

const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-report-'));
const RUN = join(scratch, 'run');
let pdfPath = '';
let text = '';
let renderSeconds = 0;

beforeAll(async () => {
  await auditTestbed(scratch, { reference: true, names: NAME });
  const started = performance.now();
  const pdf = await renderReport(RUN);
  renderSeconds = (performance.now() - started) / 1000;
  pdfPath = join(scratch, 'report.pdf');
  writeFileSync(pdfPath, pdf);
  text = execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('renderReport', () => {
  it('renders in under 5 s', () => {
    expect(renderSeconds).toBeLessThan(5);
  });

  it('has no calibrated-mode page for a run with a fixed learning rate and epochs', () => {
    expect(text).not.toContain('When to stop');
    expect(text).not.toContain('calibration documents');
  });

  it('shows every metric of metrics-after.json with its value, the method and page numbers', () => {
    const after = EvalReport.parse(
      JSON.parse(readFileSync(join(RUN, 'metrics-after.json'), 'utf8')),
    );
    const metrics = flatten(after);
    expect(metrics.size).toBeGreaterThan(40);
    const lines = text.split('\n');
    for (const [name, value] of metrics) {
      // The metric's row (the bar chart's axis labels carry some names too, without values).
      const rows = lines.filter((l) => l.trim().split(/\s+/)[0] === name);
      expect(rows.length, name).toBeGreaterThan(0);
      expect(
        rows.some((l) => l.split(/\s+/).includes(formatValue(value))),
        `${name}: ${formatValue(value)}`,
      ).toBe(true);
    }
    expect(text).toContain('graddiff');
    // The machine it ran on (manifest.hardware): CPU count and memory.
    expect(text).toMatch(new RegExp(`× ${cpus().length} cores, [0-9.]+ GiB`));
    const pages = Number(/page 1 of (\d+)/.exec(text)?.[1]);
    expect(pages).toBeGreaterThanOrEqual(5);
    for (let n = 1; n <= pages; n++) expect(text).toContain(`page ${n} of ${pages}`);
    expect(text).toMatch(/VERDICT: (PASS|FAIL)/);
  });

  it('opens with a first page in plain words: what was asked, what was found, the verdict and why', async () => {
    const page1 = execFileSync('pdftotext', ['-f', '1', '-l', '1', pdfPath, '-'], {
      encoding: 'utf8',
    }).replace(/\s+/g, ' ');
    const read = (name: string) =>
      EvalReport.parse(JSON.parse(readFileSync(join(RUN, name), 'utf8')));
    const before = read('metrics-before.json');
    const after = read('metrics-after.json');
    const f = (r: EvalReport) => r.sets.forget;
    const n = f(after).verbatim.scored as number;
    const count = (rate: number | null) => `${Math.round(rate! * n)} of ${n}`;
    // What was asked: the document counts, the method and the fixed settings of this run.
    expect(page1).toContain(
      `forget ${f(before).documents} document${f(before).documents === 1 ? '' : 's'} (forget01.jsonl), while keeping what it knows from ${before.sets.retain!.documents} retain documents`,
    );
    expect(page1).toContain('holdout documents (holdout.jsonl)');
    expect(page1).toContain('Method: graddiff. Fixed settings: learning rate 0.001 for 2 epochs');
    // What was found: recitation, personal data, membership against the reference, retain.
    expect(page1).toContain(
      `the model continued ${count(f(before).verbatim.exactRate)} word for word before unlearning and ${count(f(after).verbatim.exactRate)} after`,
    );
    expect(page1).toContain(
      `of ${f(after).pii!.probes} personal-data items in the forget documents (emails, phone numbers, IBANs, …), the model completed ${f(before).pii!.leaked} before unlearning and ${f(after).pii!.leaked} after`,
    );
    expect(page1).toContain(
      `with an AUC of ${formatAuc(before.mia!.minK!.auc)} before unlearning and ${formatAuc(after.mia!.minK!.auc)} after (0.5 is a coin toss`,
    );
    expect(page1).toContain(`the same attack scores ${formatAuc(after.mia!.minK!.referenceAuc)}`);
    const rb = before.sets.retain!.verbatim.exactRate;
    const ra = after.sets.retain!.verbatim.exactRate;
    expect(page1).toContain(`(${formatShare(rb)} → ${formatShare(ra)})`);
    // The verdict and each criterion's sentence.
    const { verdict } = await renderReportDetailed(RUN);
    expect(page1).toMatch(/VERDICT: (PASS|FAIL)/);
    expect(page1).toMatch(
      verdict.pass ? /PASS: all \d criteria are met/ : /FAIL: \d of \d criteria/,
    );
    for (const c of verdict.criteria)
      expect(page1).toContain(`${c.name}. ${c.explanation}`.replace(/\s+/g, ' '));
    expect(page1).toContain(`PrivLeak of ${after.privLeak!.toFixed(1).replace('-', '−')}`);
    // The cover's identity and criteria table follow on page 2.
    const page2 = execFileSync('pdftotext', ['-f', '2', '-l', '2', pdfPath, '-'], {
      encoding: 'utf8',
    });
    expect(page2).toContain('Model identity');
    expect(page2).toContain(after.model.sha256.slice(0, 32));
  });

  it('puts the raw metric dump in an appendix after the glossary, the body keeping the key metrics', () => {
    const pages = text.split('\f');
    const at = (needle: string) => pages.findIndex((p) => p.includes(needle));
    const appendix = at('Appendix: every number of the metrics documents');
    expect(appendix).toBeGreaterThan(0);
    for (const body of [
      'Key metrics before and after unlearning',
      'Membership-inference attacks',
      'Glossary',
    ])
      expect(at(body), body).toBeLessThan(appendix);
    // A bookkeeping number (not a key metric) only in the appendix; a key metric in both.
    const rowPages = (name: string) =>
      pages.flatMap((p, i) =>
        p.split('\n').some((l) => l.trim().split(/\s+/)[0] === name) ? [i] : [],
      );
    expect(rowPages('forget.tokens').every((i) => i >= appendix)).toBe(true);
    expect(rowPages('forget.tokens').length).toBeGreaterThan(0);
    expect(rowPages('forget.verbatim.exactRate').some((i) => i < appendix)).toBe(true);
    expect(rowPages('forget.verbatim.exactRate').some((i) => i >= appendix)).toBe(true);
    expect(text).toContain('ROC (log-log)');
  });

  it('contains none of the forget set’s personal data', () => {
    const document = JSON.parse(readFileSync(FORGET, 'utf8').split('\n')[0]!) as { text: string };
    const secrets = detectPii(document.text, { names: [NAME] }).map((s) => s.text);
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const squash = (s: string) => s.replace(/\s+/g, '');
    for (const secret of [...secrets, NAME]) {
      expect(text, secret).not.toContain(secret);
      expect(squash(text), secret).not.toContain(squash(secret));
    }
  });

  it('embeds its fonts', () => {
    const fonts = execFileSync('pdffonts', [pdfPath], { encoding: 'utf8' })
      .split('\n')
      .slice(2)
      .filter(Boolean);
    expect(fonts.length).toBeGreaterThan(0);
    for (const font of fonts)
      expect(font).toMatch(/DejaVu\S*\s+CID TrueType\s+Identity-H\s+yes yes yes/);
  });

  it('attaches the run’s JSON files byte for byte', () => {
    const list = execFileSync('pdfdetach', ['-list', pdfPath], { encoding: 'utf8' });
    const out = join(scratch, 'detached');
    mkdirSync(out);
    execFileSync('pdfdetach', ['-saveall', '-o', out, pdfPath]);
    for (const name of [
      'manifest.json',
      'metrics-before.json',
      'metrics-after.json',
      'training.json',
    ]) {
      expect(list).toContain(name);
      expect(readFileSync(join(out, name))).toEqual(readFileSync(join(RUN, name)));
    }
  });

  it('gives the same bytes for the same run folder', async () => {
    expect((await renderReport(RUN)).equals(readFileSync(pdfPath))).toBe(true);
  });

  it('says when and why a run stopped before its planned last step', async () => {
    const stopped = join(scratch, 'stopped');
    cpSync(RUN, stopped, { recursive: true });
    const manifestPath = join(stopped, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      training: { stoppedEarly?: { step: number; reason: string } };
    };
    manifest.training.stoppedEarly = { step: 0, reason: 'the forget set looked unseen already' };
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const file = join(scratch, 'stopped.pdf');
    writeFileSync(file, await renderReport(stopped));
    const shown = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(shown).toMatch(
      /stopped early +before the first step: the forget set looked unseen already/,
    );
    expect(text).not.toContain('stopped early');
  });

  it('`nepenthe report` writes <run>/report.pdf, and exits 2 naming the missing file', async () => {
    // The report is always signed: the default identity in a temporary config folder.
    const env = { NEPENTHE_KEY_PASSPHRASE: 'render test', XDG_CONFIG_HOME: join(scratch, 'xdg') };
    const ok = await runCli(['report', RUN], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(RUN, 'report.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
    rmSync(join(RUN, 'metrics-after.json'));
    const bad = await runCli(['report', RUN], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('metrics-after.json is missing');
  }, 60_000);
});
