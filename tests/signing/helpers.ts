/**
 * A small pdfkit report stand-in (text with accents and a JSON attachment), a seeded PRNG, and a
 * signed report whose attachment is a FlateDecode bomb.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import { createSelfSignedP12, signPdf } from '../../src/main/signing/index.ts';

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

/**
 * A zlib stream that inflates to `gib` GiB of zeros in about 1 MB per GiB, built without ever
 * holding the output: 64 MiB of zeros deflated once and ended with a full flush (byte aligned,
 * history reset), that chunk repeated, a final empty block, and the Adler-32 of n zeros
 * (A = 1, B = n mod 65521; RFC 1950 §8).
 */
export function flateBomb(gib: number): Buffer {
  const piece = 64 * 1024 * 1024;
  const chunk = deflateRawSync(Buffer.alloc(piece), {
    level: 9,
    finishFlush: zlibConstants.Z_FULL_FLUSH,
  });
  const pieces = gib * 16;
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((((pieces * piece) % 65521) << 16) + 1) >>> 0);
  const finalEmptyBlock = Buffer.from([0x03, 0x00]);
  return Buffer.concat([
    Buffer.from([0x78, 0xda]),
    ...Array.from({ length: pieces }, () => chunk),
    finalEmptyBlock,
    adler,
  ]);
}

/**
 * A report stand-in whose attachment `metrics-after.json` is `stream`, written as it is with
 * /Filter /FlateDecode (pdfkit leaves a stream alone when its /Filter is set), and which
 * declares `declaredSize` bytes in /Params /Size.
 */
export function makeReportPdfWithStream(stream: Buffer, declaredSize: number): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', info: { Title: 'Nepenthe audit report' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) =>
    doc.on('end', () => resolve(Buffer.concat(chunks))),
  );
  doc.fontSize(18).text('Unlearning audit');
  // pdfkit's low-level object API, which its typings leave out.
  const raw = doc as unknown as {
    ref(data: object): { end(chunk?: Buffer): void };
    addNamedEmbeddedFile(name: string, ref: object): void;
  };
  // Keys in pdfkit's own order for an attachment (/Length, then /Filter last); pdfkit adds the
  // stream's length to /Length.
  const body = raw.ref({
    Type: 'EmbeddedFile',
    Subtype: 'application#2Fjson',
    Params: { Size: declaredSize },
    Length: 0,
    Filter: 'FlateDecode',
  });
  body.end(stream);
  const name = 'metrics-after.json';
  // pdfkit writes a String object as a PDF string (a plain string would be a name).
  const spec = raw.ref({
    Type: 'Filespec',
    F: new String(name),
    UF: new String(name),
    EF: { F: body },
  });
  spec.end();
  raw.addNamedEmbeddedFile(name, spec);
  doc.end();
  return done;
}

/**
 * A report whose metrics-after.json is a 2 GiB FlateDecode bomb (about 2 MB in the file), signed
 * by its author, so the signature itself is valid: what a hostile sender would hand over.
 */
export async function signedBombPdf(): Promise<Buffer> {
  const gib = 2;
  const pdf = await makeReportPdfWithStream(flateBomb(gib), gib * 2 ** 30);
  const p12 = createSelfSignedP12({ commonName: 'Mallory', passphrase: 'bomb' });
  return signPdf(pdf, { p12, passphrase: 'bomb', reason: 'unlearning audit' });
}
