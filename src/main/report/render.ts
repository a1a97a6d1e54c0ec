/**
 * `renderReport(runDir)`: the audit report PDF of a finished run folder (DESIGN.md §6), unsigned.
 * No Electron here, so the CLI and the app share it. The same folder gives the same bytes: the
 * document's dates come from the manifest, and the embedded font subsets are named
 * deterministically by pdfkit.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Layout, createDocument } from './layout.ts';
import { redact } from './mask.ts';
import { calibrationSection } from './calibration-section.ts';
import { riskSection } from './risk-section.ts';
import { loadFinishedRun, RUN_FILES, type FinishedRun } from './run-folder.ts';
import {
  chartsSection,
  glossarySection,
  inputsSection,
  keyMetricsSection,
  metricsAppendix,
  piiSection,
  verdictDetailsSection,
} from './sections.ts';
import { summarySection } from './summary-section.ts';
import { DEFAULT_THRESHOLDS, judge, type Thresholds, type Verdict } from './verdict.ts';

export interface ReportOptions {
  readonly thresholds?: Partial<Thresholds>;
}

const ATTACHMENT_DESCRIPTIONS: Readonly<Record<(typeof RUN_FILES)[number], string>> = {
  'manifest.json': 'The run manifest: inputs by hash, method, configuration, versions, timings',
  'metrics-before.json': 'Metrics of the input model (eval document)',
  'metrics-after.json': 'Metrics of the unlearned model (eval document)',
  'training.json': 'Per-step training log',
};

export interface RenderedReport {
  readonly pdf: Buffer;
  readonly verdict: Verdict;
  readonly pages: number;
}

export async function renderReport(runDir: string, options: ReportOptions = {}): Promise<Buffer> {
  return (await renderReportDetailed(runDir, options)).pdf;
}

export async function renderReportDetailed(
  runDir: string,
  options: ReportOptions = {},
): Promise<RenderedReport> {
  const run = loadFinishedRun(runDir);
  const verdict = judge(run.before, run.after, { ...DEFAULT_THRESHOLDS, ...options.thresholds });
  const date = new Date(run.manifest.finished ?? run.manifest.started);
  const doc = createDocument({
    Title: `Nepenthe unlearning audit report: ${redact(basename(runDir))}`,
    Author: 'Nepenthe',
    Subject: `${run.manifest.method} unlearning audit, verdict ${verdict.pass ? 'pass' : 'fail'}`,
    Creator: `nepenthe ${run.manifest.versions.nepenthe}`,
    Producer: 'Nepenthe (pdfkit)',
    CreationDate: date,
    ModDate: date,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  const layout = new Layout(doc);
  compose(layout, run, verdict);
  attach(doc, run, date);
  const pages = doc.bufferedPageRange().count;
  doc.end();
  await ended;
  return { pdf: Buffer.concat(chunks), verdict, pages };
}

function compose(layout: Layout, run: FinishedRun, verdict: Verdict): void {
  summarySection(layout, run, verdict);
  verdictDetailsSection(layout, run, verdict);
  inputsSection(layout, run);
  keyMetricsSection(layout, run);
  chartsSection(layout, run);
  calibrationSection(layout, run);
  piiSection(layout, run);
  riskSection(layout, run);
  glossarySection(layout, run);
  metricsAppendix(layout, run);
  layout.footers(`Nepenthe audit report · ${redact(basename(run.dir))} · ${run.manifest.method}`);
}

/** The machine-readable files, as attachments with their exact bytes. */
function attach(doc: PDFKit.PDFDocument, run: FinishedRun, date: Date): void {
  for (const name of RUN_FILES)
    doc.file(run.raw[name], {
      name,
      type: 'application/json',
      description: ATTACHMENT_DESCRIPTIONS[name],
      creationDate: date,
      modifiedDate: date,
    });
}

/** Renders and writes atomically (temporary name, then rename). */
export async function writeReport(
  runDir: string,
  outPdf = join(runDir, 'report.pdf'),
  options: ReportOptions = {},
): Promise<RenderedReport> {
  const report = await renderReportDetailed(runDir, options);
  const partial = `${outPdf}.partial`;
  writeFileSync(partial, report.pdf);
  renameSync(partial, outPdf);
  return report;
}
