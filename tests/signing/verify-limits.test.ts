/**
 * Verifying a hostile report stays within bounded memory and time (docs/signing.md, "Limits"):
 * a signed report whose attachment is a FlateDecode bomb (about 2 MB that inflate to 2 GiB) is
 * refused as bad input once zlib reaches MAX_INFLATED_BYTES, a file over MAX_PDF_BYTES is refused
 * before it is read, and a file of many small objects is read in linear time. The CLI side of the
 * first two is in the bad-input corpus (cases/signing.ts).
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUserInputError } from '../../src/shared/errors.ts';
import {
  MAX_INFLATED_BYTES,
  MAX_PDF_BYTES,
  readReportPdf,
  verifyPdf,
} from '../../src/main/signing/index.ts';
import { signedBombPdf } from './helpers.ts';

const MiB = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'nepenthe-bomb-'));
let bomb: Buffer;

beforeAll(async () => void (bomb = await signedBombPdf()));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error `work` throws, with the peak RSS growth and the time it took. */
function measure(work: () => unknown): { error: unknown; rssGrowth: number; ms: number } {
  const rss = process.memoryUsage.rss();
  let peak = rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const started = performance.now();
  let error: unknown;
  try {
    work();
  } catch (caught) {
    error = caught;
  }
  clearInterval(sampler);
  // The sampler cannot run during synchronous work: the RSS after it bounds what it kept.
  peak = Math.max(peak, process.memoryUsage.rss());
  return { error, rssGrowth: peak - rss, ms: performance.now() - started };
}

describe('a FlateDecode bomb in a signed report', () => {
  it('is about 2 MB that would inflate to 2 GiB', () => {
    expect(bomb.length).toBeLessThan(3 * MiB);
    expect(bomb.toString('latin1')).toContain(`/Size ${2 * 2 ** 30}`);
  });

  it('is refused as bad input naming the attachment, within 5 s and a bounded RSS', () => {
    const { error, rssGrowth, ms } = measure(() => verifyPdf(bomb));
    expect(isUserInputError(error), String(error)).toBe(true);
    expect((error as Error).message).toBe(
      'attachment metrics-after.json inflates to more than 64 MiB, the most a report may attach: a compression bomb, not a Nepenthe report',
    );
    expect(ms).toBeLessThan(5000);
    // One inflation stopped at the cap, plus slack for the allocator; 2 GiB without the cap.
    expect(rssGrowth).toBeLessThan(MAX_INFLATED_BYTES + 256 * MiB);
  });
});

describe('the size of a report file', () => {
  it('is read up to MAX_PDF_BYTES; a larger file is refused before it is read', () => {
    const path = join(dir, 'huge.pdf');
    writeFileSync(path, '%PDF-1.7\n');
    truncateSync(path, MAX_PDF_BYTES + 1); // sparse: no disk used
    const { error, ms } = measure(() => readReportPdf(path));
    expect(isUserInputError(error)).toBe(true);
    expect((error as Error).message).toBe(
      `${path}: the file is larger than 64 MiB, more than any Nepenthe report; not a report to verify`,
    );
    expect(ms).toBeLessThan(1000);
  });

  it('reads a file at the cap', () => {
    const path = join(dir, 'at-cap.pdf');
    writeFileSync(path, '%PDF-1.7\n');
    truncateSync(path, MAX_PDF_BYTES);
    expect(readReportPdf(path).length).toBe(MAX_PDF_BYTES);
  });
});

describe('a file of a million objects without streams', () => {
  it('is read in linear time (each object once scanned to the end of the file took minutes)', () => {
    const objects = '1 0 obj 1 endobj\n'.repeat(1_000_000);
    const pdf = Buffer.from(`%PDF-1.7\n/ByteRange [0 1 2 3]\n${objects}`);
    const { error, ms } = measure(() => verifyPdf(pdf));
    expect(error).toBeUndefined(); // an invalid report, not a crash
    expect(ms).toBeLessThan(5000);
  });
});
