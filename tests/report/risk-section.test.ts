/**
 * The report's risk page (src/main/report/risk-section.ts): the ordering of the riskiest
 * documents on fixed inputs, and on a real testbed audit (forget01 with --names) that the page
 * lists the forget document by id with its percentiles and extraction before → after, the
 * multi-prompt PII table, and no personal data of the testbed in clear.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/main/report/render.ts';
import { riskRows } from '../../src/main/report/risk-section.ts';
import { EvalReport } from '../../src/shared/contracts.ts';
import { detectPii } from '../../src/worker/data/pii.ts';
import { auditTestbed, testbed } from './testbed-run.ts';

const NAME = 'Dener Fatalar';

describe('riskRows', () => {
  const doc = (percentile: number | null, extracted: boolean | null) => ({
    score: percentile === null ? null : -1,
    percentile,
    extracted,
    windows: 1,
  });
  const report = (documents: Record<string, ReturnType<typeof doc>>) =>
    ({ risk: { score: 'loss', holdoutDocuments: 4, documents } }) as unknown as EvalReport;

  it('riskiest first: percentile after, then extracted after, then percentile before', () => {
    const before = report({
      'a:1': doc(100, true),
      'a:2': doc(100, true),
      'a:3': doc(90, true),
      'a:4': doc(80, false),
      'a:5': doc(70, false),
    });
    const after = report({
      'a:1': doc(50, false),
      'a:2': doc(87.5, false),
      'a:3': doc(87.5, true),
      'a:4': doc(null, null),
      'a:5': doc(50, false),
      'b:1': doc(100, true),
    });
    expect(riskRows(before, after).map((r) => r.id)).toEqual([
      'b:1',
      'a:3',
      'a:2',
      'a:1',
      'a:5',
      'a:4',
    ]);
    expect(riskRows(before, after)[0]!.before).toBeUndefined();
    expect(riskRows(report({}), report({}))).toEqual([]);
  });
});

describe('the risk page of a testbed audit', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-risk-report-'));
  let text = '';
  let before: EvalReport;
  let after: EvalReport;

  beforeAll(async () => {
    const run = await auditTestbed(scratch, { reference: true, names: NAME });
    const pdf = join(scratch, 'report.pdf');
    writeFileSync(pdf, await renderReport(run));
    text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    const read = (f: string) => EvalReport.parse(JSON.parse(readFileSync(join(run, f), 'utf8')));
    before = read('metrics-before.json');
    after = read('metrics-after.json');
  }, 240_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('lists the forget document by id with percentile and extraction before → after', () => {
    expect(text).toContain('Per-document risk (forget set)');
    expect(text).toContain('Riskiest documents after unlearning (1 of 1)');
    const b = before.risk!.documents['forget01.jsonl:1']!;
    const a = after.risk!.documents['forget01.jsonl:1']!;
    console.log('forget01 risk before → after', JSON.stringify({ b, a }));
    expect(b.percentile).toBe(100); // the input model memorized forget01
    expect(b.extracted).toBe(true);
    const yesNo = (x: boolean | null) => (x === null ? '—' : x ? 'yes' : 'no');
    const line = text.split('\n').find((l) => l.includes('forget01.jsonl:1'));
    expect(line).toBeDefined();
    expect(line!.replace(/\s+/g, ' ')).toContain(
      `${b.percentile!.toFixed(1)} → ${a.percentile!.toFixed(1)} ${yesNo(b.extracted)} → ${yesNo(a.extracted)}`,
    );
  });

  it('shows the multi-prompt probes per set: worst case and each prompt kind', () => {
    expect(text).toContain('Personal-data probes: several prompts per item');
    expect(text).toContain('any prompt (worst case)');
    expect(text).toContain('shortened prefix (its own sentence)');
    const pii = after.sets.forget.pii!;
    const line = text.split('\n').find((l) => /forget\s+any prompt \(worst case\)/.test(l));
    expect(line).toBeDefined();
    expect(line).toContain(
      `${pii.anyPrompt!.leaked} of ${pii.probes} (${pii.anyPrompt!.leakRate!.toFixed(3)})`,
    );
    expect(text).toMatch(/holdout\s+any prompt \(worst case\)/);
  });

  it('contains no personal data of the testbed in clear', () => {
    const secrets = ['forget01', 'holdout'].flatMap((set) =>
      readFileSync(testbed(`corpus/${set}.jsonl`), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .flatMap((l) => {
          const doc = JSON.parse(l) as { text: string };
          return detectPii(doc.text, { names: [NAME] }).map((s) => s.text);
        }),
    );
    expect(secrets.length).toBeGreaterThan(100);
    for (const secret of [...new Set(secrets)]) expect(text, secret).not.toContain(secret);
    expect(text).not.toContain('Dener');
    expect(text).not.toContain('Fatalar');
  });
});
