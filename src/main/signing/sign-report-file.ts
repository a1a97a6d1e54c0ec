/**
 * The CLI signing contract of DESIGN.md §6, for `nepenthe report` and `audit` to call once the
 * PDF is written:
 *
 * - `sign` given: that PKCS#12, its passphrase from NEPENTHE_P12_PASSPHRASE, else a prompt
 *   when stdin is a TTY, else exit 2 saying how.
 * - no `sign`: the default self-signed identity `$XDG_CONFIG_HOME/nepenthe/identity.p12`
 *   (else ~/.config/nepenthe), created on first use, its key encrypted with
 *   NEPENTHE_KEY_PASSPHRASE, else a prompt (asked twice on creation), else exit 2 saying how,
 *   with nothing written: never an unprotected key.
 *
 * The signed PDF replaces `pdfPath` through a temp file and a rename (DESIGN.md §9).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';
import { defaultConfigDir, IDENTITY_FILE } from './config-dir.ts';
import { checkCertificateValidity, loadDefaultIdentity, openP12, readP12File } from './identity.ts';
import {
  KEY_PASSPHRASE_ENV,
  P12_PASSPHRASE_ENV,
  processPassphraseSource,
  type PassphraseSource,
} from './passphrase.ts';
import { signPdf } from './sign.ts';

export interface SignReportOptions {
  /** Path of the user's PKCS#12 (`--sign`); default: the self-signed default identity. */
  readonly sign?: string;
  /** /Reason in the signature dictionary. */
  readonly reason?: string;
  readonly location?: string;
  /** Default: from `passphrases.env` (XDG_CONFIG_HOME), as `defaultConfigDir`. */
  readonly configDir?: string;
  /** Default: process.env, a prompt when stdin is a TTY. Tests pass their own. */
  readonly passphrases?: PassphraseSource;
}

export interface SignedReport {
  /** The signer certificate's common name. */
  readonly signer: string;
  readonly selfSigned: boolean;
  /** The PKCS#12 used: `--sign`'s path or the default identity's. */
  readonly identityPath: string;
  /** True when this call created the default identity. */
  readonly createdIdentity: boolean;
  readonly signedAt: Date;
}

const P12_HOW = `set ${P12_PASSPHRASE_ENV} to the PKCS#12 passphrase`;
const KEY_HOW =
  `the default signing identity needs a passphrase to encrypt its key: set ` +
  `${KEY_PASSPHRASE_ENV}, or run in a terminal to be asked, or sign with your own ` +
  `certificate: --sign <file.p12> with ${P12_PASSPHRASE_ENV}`;

/**
 * Throws, before any work is done, the exit-2 error `signReportFile` would throw at the end:
 * a `--sign` file that is missing, a folder or no PKCS#12; a wrong passphrase; an expired
 * certificate; no passphrase at all (no environment variable and no terminal). So a long audit
 * does not run for nothing. Asks nothing and writes nothing.
 */
export function assertCanSign(options: SignReportOptions = {}): void {
  const source = options.passphrases ?? processPassphraseSource();
  const envName = options.sign === undefined ? KEY_PASSPHRASE_ENV : P12_PASSPHRASE_ENV;
  const fromEnv = source.env[envName];
  const known = fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
  if (options.sign !== undefined) {
    const p12 = readP12File(options.sign);
    if (known !== undefined)
      checkCertificateValidity(openP12(p12, known, options.sign).certificate, options.sign);
    else if (!source.interactive) noPassphrase(options.sign, P12_HOW);
    return;
  }
  const configDir = options.configDir ?? defaultConfigDir(source.env);
  const identity = join(configDir, IDENTITY_FILE);
  if (known !== undefined) {
    if (existsSync(identity))
      checkCertificateValidity(
        openP12(readP12File(identity), known, identity).certificate,
        identity,
      );
    return;
  }
  if (!source.interactive) noPassphrase(identity, KEY_HOW);
}

export async function signReportFile(
  pdfPath: string,
  options: SignReportOptions = {},
): Promise<SignedReport> {
  const source = options.passphrases ?? processPassphraseSource();
  if (!existsSync(pdfPath)) throw new UserInputError(pdfPath, 'no such file to sign');
  let p12: Buffer;
  let passphrase: string;
  let identityPath: string;
  let createdIdentity = false;
  if (options.sign !== undefined) {
    identityPath = options.sign;
    p12 = readP12File(identityPath);
    passphrase = await passphraseFor(source, P12_PASSPHRASE_ENV, identityPath, false, () =>
      noPassphrase(identityPath, P12_HOW),
    );
  } else {
    const configDir = options.configDir ?? defaultConfigDir(source.env);
    identityPath = join(configDir, IDENTITY_FILE);
    const creating = !existsSync(identityPath);
    passphrase = await passphraseFor(source, KEY_PASSPHRASE_ENV, identityPath, creating, () =>
      noPassphrase(identityPath, KEY_HOW),
    );
    const identity = loadDefaultIdentity({ configDir, passphrase });
    p12 = identity.p12;
    createdIdentity = identity.created;
  }
  const { certificate, commonName } = openP12(p12, passphrase, identityPath);
  checkCertificateValidity(certificate, identityPath);
  const signedAt = new Date();
  const signed = await signPdf(readFileSync(pdfPath), {
    p12,
    passphrase,
    reason: options.reason ?? 'Nepenthe unlearning audit report',
    location: options.location,
    signingTime: signedAt,
  });
  const temp = join(pdfPath, '..', `.${basename(pdfPath)}.${process.pid}.signing`);
  try {
    writeFileSync(temp, signed);
    renameSync(temp, pdfPath);
  } finally {
    rmSync(temp, { force: true });
  }
  const selfSigned = certificate.isIssuer(certificate) && certificate.verify(certificate);
  return { signer: commonName, selfSigned, identityPath, createdIdentity, signedAt };
}

async function passphraseFor(
  source: PassphraseSource,
  envName: string,
  path: string,
  confirm: boolean,
  missing: () => never,
): Promise<string> {
  const fromEnv = source.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!source.interactive) missing();
  const what = confirm
    ? `New passphrase for the signing key ${path}: `
    : `Passphrase for ${path}: `;
  const first = await source.prompt(what);
  if (first === '')
    throw new UserInputError(path, 'an empty passphrase leaves the key unprotected');
  if (confirm && (await source.prompt('Repeat the passphrase: ')) !== first) {
    throw new UserInputError(path, 'the two passphrases differ; nothing was written');
  }
  return first;
}

function noPassphrase(path: string, how: string): never {
  throw new UserInputError(path, `no passphrase (stdin is not a terminal): ${how}`);
}
