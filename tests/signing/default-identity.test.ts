import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isUserInputError } from '../../src/shared/errors.ts';
import {
  createSelfSignedP12,
  openP12,
  signReportFile,
  verifyPdf,
  type PassphraseSource,
} from '../../src/main/signing/index.ts';
import { makeReportPdf, pdfsig } from './helpers.ts';

const noPrompt = async (): Promise<string> => {
  throw new Error('must not prompt without a TTY');
};
const source = (env: NodeJS.ProcessEnv): PassphraseSource => ({
  env,
  interactive: false,
  prompt: noPrompt,
});

async function reportFile(dir: string): Promise<string> {
  const path = join(dir, 'report.pdf');
  writeFileSync(path, await makeReportPdf());
  return path;
}

describe('the default self-signed identity (DESIGN.md §6)', () => {
  it('is created on first use, encrypted, mode 0600, and signs a report pdfsig accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nepenthe-id-'));
    const env = { XDG_CONFIG_HOME: join(dir, 'config'), NEPENTHE_KEY_PASSPHRASE: 'pass phrase 1' };
    const pdfPath = await reportFile(dir);
    const first = await signReportFile(pdfPath, { passphrases: source(env) });
    const identity = join(dir, 'config', 'nepenthe', 'identity.p12');
    expect(first).toMatchObject({
      identityPath: identity,
      createdIdentity: true,
      selfSigned: true,
    });
    expect(statSync(identity).mode & 0o777).toBe(0o600);

    expect(await pdfsig(pdfPath)).toContain('Signature Validation: Signature is Valid.');
    expect(verifyPdf(readFileSync(pdfPath))).toMatchObject({ valid: true, selfSigned: true });

    // Not readable without the passphrase, and the key is nowhere in the clear.
    const p12 = readFileSync(identity);
    expect(() => openP12(p12, 'wrong')).toThrow(/wrong passphrase/);
    const { privateKey } = openP12(p12, 'pass phrase 1');
    const exponent = Buffer.from(privateKey.d.toByteArray()).subarray(-64);
    expect(p12.includes(exponent)).toBe(false);
    expect(p12.toString('latin1')).not.toContain('PRIVATE KEY');

    // Second use: the same file, not a new identity.
    const again = await signReportFile(await reportFile(dir), { passphrases: source(env) });
    expect(again.createdIdentity).toBe(false);
    expect(readFileSync(identity).equals(p12)).toBe(true);
  });

  it('without a passphrase and no TTY: exit-2 error saying how, and no key file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nepenthe-id-'));
    const env = { XDG_CONFIG_HOME: join(dir, 'config') };
    const pdfPath = await reportFile(dir);
    const before = readFileSync(pdfPath);
    const error = await signReportFile(pdfPath, { passphrases: source(env) }).catch((e) => e);
    expect(isUserInputError(error)).toBe(true);
    expect((error as Error).message).toMatch(/NEPENTHE_KEY_PASSPHRASE/);
    expect((error as Error).message).toMatch(/--sign <file\.p12>/);
    expect(existsSync(join(dir, 'config', 'nepenthe'))).toBe(false);
    expect(readFileSync(pdfPath).equals(before)).toBe(true);
  });

  it('--sign uses the given PKCS#12 with NEPENTHE_P12_PASSPHRASE, and needs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nepenthe-id-'));
    const p12Path = join(dir, 'officer.p12');
    writeFileSync(p12Path, createSelfSignedP12({ commonName: 'Privacy Officer', passphrase: 'p' }));
    const pdfPath = await reportFile(dir);
    const missing = await signReportFile(pdfPath, { sign: p12Path, passphrases: source({}) }).catch(
      (e) => e,
    );
    expect(isUserInputError(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/NEPENTHE_P12_PASSPHRASE/);
    const wrong = await signReportFile(pdfPath, {
      sign: p12Path,
      passphrases: source({ NEPENTHE_P12_PASSPHRASE: 'nope' }),
    }).catch((e) => e);
    expect((wrong as Error).message).toMatch(/wrong passphrase/);
    const signed = await signReportFile(pdfPath, {
      sign: p12Path,
      passphrases: source({ NEPENTHE_P12_PASSPHRASE: 'p' }),
    });
    expect(signed.signer).toBe('Privacy Officer');
    expect(verifyPdf(readFileSync(pdfPath))).toMatchObject({
      valid: true,
      signer: 'Privacy Officer',
    });
  });
});
