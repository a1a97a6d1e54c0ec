import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedP12, signPdf, verifyPdf } from '../../src/main/signing/index.ts';
import { runCli } from '../cli/run-cli.ts';
import { contentsHex, makeReportPdf, METRICS_JSON, pdfsig, seeded } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'nepenthe-sign-'));
let signed: Buffer;
let signedPath: string;

beforeAll(async () => {
  const p12 = createSelfSignedP12({ commonName: 'Asa Odegard', passphrase: 'correct horse' });
  signed = await signPdf(await makeReportPdf(), {
    p12,
    passphrase: 'correct horse',
    reason: 'unlearning audit',
    location: 'Oslo',
  });
  signedPath = join(dir, 'signed.pdf');
  writeFileSync(signedPath, signed);
});

describe('a PDF signed with a generated PKCS#12', () => {
  it('is valid for poppler pdfsig', async () => {
    const out = await pdfsig(signedPath);
    expect(out).toContain('Signature Validation: Signature is Valid.');
    expect(out).toContain('Signer Certificate Common Name: Asa Odegard');
    expect(out).toContain('Signing Hash Algorithm: SHA-256');
    expect(out).toContain('Total document signed');
  });

  it('is valid for verifyPdf: self-signed, time, and the attachment hash', () => {
    const report = verifyPdf(signed);
    expect(report.valid).toBe(true);
    expect(report.signer).toBe('Asa Odegard');
    expect(report.selfSigned).toBe(true);
    expect(report.signatureName).toBe('Asa Odegard');
    expect(report.signatureReason).toBe('unlearning audit');
    expect(Math.abs(Date.parse(report.signedAt!) - Date.now())).toBeLessThan(120_000);
    expect(report.attachments).toEqual([
      {
        name: 'metrics-after.json',
        sha256: createHash('sha256').update(METRICS_JSON).digest('hex'),
        size: METRICS_JSON.length,
        matches: true,
      },
    ]);
  });

  it('fails verification when any one byte in the signed ranges changes (50 seeded offsets)', async () => {
    const [hexStart, hexEnd] = contentsHex(signed);
    const random = seeded(6);
    const flipped: string[] = [];
    for (let i = 0; i < 50; i++) {
      // An offset outside the /Contents hex string (the brackets themselves are signed).
      let offset: number;
      do offset = Math.floor(random() * signed.length);
      while (offset >= hexStart && offset < hexEnd);
      const bad = Buffer.from(signed);
      bad[offset]! ^= 1 << Math.floor(random() * 8);
      const report = verifyPdf(bad);
      expect(report.valid, `byte ${offset}`).toBe(false);
      expect(report.reason).toBeTruthy();
      if (i < 4) {
        const path = join(dir, `tampered-${offset}.pdf`);
        writeFileSync(path, bad);
        flipped.push(path);
      }
    }
    for (const path of flipped) {
      const result = await runCli(['verify', path]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/INVALID: /);
    }
  });

  it('fails when a byte inside /Contents changes, in the CMS or in its zero padding', () => {
    const [hexStart, hexEnd] = contentsHex(signed);
    const random = seeded(7);
    for (let i = 0; i < 20; i++) {
      const offset = hexStart + Math.floor(random() * (hexEnd - hexStart));
      const bad = Buffer.from(signed);
      bad[offset]! ^= 1 << Math.floor(random() * 8);
      const report = verifyPdf(bad);
      expect(report.valid, `byte ${offset} (${offset - hexStart} into the hex)`).toBe(false);
    }
    // Early (the CMS itself) and late (padding) offsets, each with a case flip and a bit flip.
    for (const offset of [hexStart + 100, hexEnd - 3]) {
      for (const mask of [0x01, 0x20]) {
        const bad = Buffer.from(signed);
        bad[offset]! ^= mask;
        expect(verifyPdf(bad).valid, `byte ${offset} ^ ${mask}`).toBe(false);
      }
    }
  });

  it('fails when bytes are appended after the signature', () => {
    const report = verifyPdf(Buffer.concat([signed, Buffer.from('\n% more\n')]));
    expect(report.valid).toBe(false);
    expect(report.reason).toMatch(/added after the signed ranges/);
  });

  it('nepenthe verify: exit 0 with --json, 2 for a non-PDF and an unsigned PDF', async () => {
    const ok = await runCli(['verify', '--json', signedPath]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, selfSigned: true });

    const text = join(dir, 'notes.pdf');
    writeFileSync(text, 'just some text, not a PDF\n');
    const notPdf = await runCli(['verify', text]);
    expect(notPdf.code).toBe(2);
    expect(notPdf.stderr).toContain('not a PDF');

    const plain = join(dir, 'plain.pdf');
    writeFileSync(plain, await makeReportPdf());
    const unsigned = await runCli(['verify', plain]);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('has no signature');
  });
});
