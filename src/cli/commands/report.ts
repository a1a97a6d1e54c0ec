/**
 * `nepenthe report <run-dir> [--out <pdf>]`: renders the PDF audit report of a finished run
 * (docs/report.md). No worker: the report only reads the run folder's JSON and model headers.
 */
import { join } from 'node:path';
import { writeReport } from '../../main/report/render.ts';
import type { Command } from '../command.ts';

export const report: Command = {
  name: 'report',
  usage: 'report <run-dir> [--out <pdf>]',
  summary: 'the PDF audit report of a finished run folder (default <run-dir>/report.pdf)',
  options: { out: { type: 'string' } },
  positionals: 1,
  async run({ positionals, values, print }) {
    const runDir = positionals[0]!;
    const out = typeof values.out === 'string' ? values.out : join(runDir, 'report.pdf');
    const started = performance.now();
    const result = await writeReport(runDir, out);
    const seconds = (performance.now() - started) / 1000;
    print(
      {
        out,
        pages: result.pages,
        bytes: result.pdf.length,
        verdict: result.verdict.pass ? 'pass' : 'fail',
        seconds,
      },
      `report  ${out}\npages   ${result.pages}\nverdict ${result.verdict.pass ? 'PASS' : 'FAIL'}\ntime    ${seconds.toFixed(2)} s`,
    );
  },
};
