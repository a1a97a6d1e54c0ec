/** A small pdfkit report stand-in (text with accents and a JSON attachment) and a seeded PRNG. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import PDFDocument from 'pdfkit';

export const METRICS_JSON = Buffer.from(JSON.stringify({ forgetExact: 0.12, retainUtility: 0.97 }));

export function makeReportPdf(): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', info: { Title: 'Nepenthe audit report' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) =>
    doc.on('end', () => resolve(Buffer.concat(chunks))),
  );
  doc.fontSize(18).text('Unlearning audit — Zoë Brontë');
  doc.fontSize(11).text('forget exact extraction 0.12, retain utility 0.97');
  doc.file(METRICS_JSON, { name: 'metrics-after.json', type: 'application/json' });
  doc.end();
  return done;
}

/** mulberry32: a tiny seeded generator, so the sampled tamper offsets are the same every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function pdfsig(path: string): Promise<string> {
  const { stdout } = await promisify(execFile)('pdfsig', [path]);
  return stdout;
}

/** [start, end) of the /Contents hex digits (inside the angle brackets). */
export function contentsHex(pdf: Buffer): [number, number] {
  const m = /\/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+\d+\s*\]/.exec(pdf.toString('latin1'))!;
  return [Number(m[1]) + 1, Number(m[2]) - 1];
}
