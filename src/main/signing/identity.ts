/**
 * Signing identities: a PKCS#12 file holding one certificate and its private key, the key
 * encrypted under a passphrase (PKCS#12 shrouded key bag, AES-256). The default identity is a
 * self-signed certificate created on first use in the config folder (DESIGN.md §6, §9): the
 * key never touches the disk outside that encrypted file.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { UserInputError } from '../../shared/errors.ts';
import { defaultConfigDir, IDENTITY_FILE } from './config-dir.ts';

export interface SelfSignedOptions {
  readonly commonName: string;
  readonly passphrase: string;
  /** Certificate lifetime from now (default 10 years: an audit report outlives a laptop). */
  readonly validDays?: number;
  readonly organization?: string;
}

/** A DER PKCS#12 with a fresh RSA-2048 key and a self-signed SHA-256 certificate. */
export function createSelfSignedP12(options: SelfSignedOptions): Buffer {
  if (options.passphrase.length === 0) throw new Error('a PKCS#12 passphrase must not be empty');
  // Node's OpenSSL makes the key in milliseconds; forge's pure-JS keygen takes seconds.
  const { privateKey: pem } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(pem.export({ type: 'pkcs1', format: 'pem' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; a leading 0x01 keeps it positive.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000); // tolerate small clock skew
  cert.validity.notAfter = new Date(now.getTime() + (options.validDays ?? 3650) * 86_400_000);
  // ASCII only: forge re-encodes a parsed UTF8String name when the signer copies the
  // certificate from the PKCS#12 into the CMS, which breaks the certificate's signature.
  const name = [{ name: 'commonName', value: asciiName(options.commonName) }];
  if (options.organization)
    name.push({ name: 'organizationName', value: asciiName(options.organization) });
  // forge fills in each attribute object it is given, so subject and issuer get their own.
  cert.setSubject(name.map((a) => ({ ...a })));
  cert.setIssuer(name.map((a) => ({ ...a })));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    // nonRepudiation is "contentCommitment" in RFC 5280: the signer stands behind the content.
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [cert], options.passphrase, {
    algorithm: 'aes256',
    friendlyName: options.commonName,
  });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}

export interface P12Contents {
  readonly certificate: forge.pki.Certificate;
  readonly privateKey: forge.pki.rsa.PrivateKey;
  readonly commonName: string;
}

/**
 * Opens a PKCS#12 with its passphrase; a wrong passphrase or a file that is no PKCS#12 is a
 * `UserInputError` naming `path`.
 */
export function openP12(p12: Buffer, passphrase: string, path = 'PKCS#12'): P12Contents {
  let parsed: forge.pkcs12.Pkcs12Pfx;
  try {
    parsed = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(forge.util.createBuffer(p12.toString('binary'))),
      false,
      passphrase,
    );
  } catch (error) {
    const detail = (error as Error).message.split('\n')[0]!;
    const wrong = /mac|password|passphrase|decrypt/i.test(detail);
    throw new UserInputError(
      path,
      wrong
        ? 'cannot open the PKCS#12: wrong passphrase'
        : `not a readable PKCS#12 file (${detail}); export the certificate and its key as .p12 or .pfx`,
    );
  }
  const { pkcs8ShroudedKeyBag, keyBag, certBag } = forge.pki.oids as Record<string, string>;
  const bags = (type: string) => parsed.getBags({ bagType: type })[type] ?? [];
  const privateKey = (bags(pkcs8ShroudedKeyBag!)[0] ?? bags(keyBag!)[0])?.key as
    forge.pki.rsa.PrivateKey | undefined;
  if (!privateKey) throw new UserInputError(path, 'the PKCS#12 holds no private key');
  // The signing certificate is the one whose public key pairs with the private key.
  const certificate = bags(certBag!)
    .map((bag) => bag.cert)
    .find((cert) => {
      const pub = cert?.publicKey as forge.pki.rsa.PublicKey | undefined;
      return pub !== undefined && pub.n.equals(privateKey.n) && pub.e.equals(privateKey.e);
    });
  if (!certificate) {
    throw new UserInputError(path, 'the PKCS#12 has no certificate for its private key');
  }
  const cn = certificate.subject.getField('CN') as { value: string } | null;
  return { certificate, privateKey, commonName: cn ? decodeUtf8(cn.value) : 'unnamed signer' };
}

/**
 * The bytes of a PKCS#12 file the user named (`--sign`): missing, a folder, or unreadable is a
 * `UserInputError` naming it, never a raw EISDIR or EACCES.
 */
export function readP12File(path: string): Buffer {
  let isFile: boolean;
  let isFolder: boolean;
  try {
    const stat = statSync(path);
    isFile = stat.isFile();
    isFolder = stat.isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new UserInputError(path, 'no such PKCS#12 file (--sign)');
    throw new UserInputError(path, `cannot be read (${code ?? (error as Error).message})`);
  }
  if (!isFile)
    throw new UserInputError(
      path,
      `is ${isFolder ? 'a folder' : 'not a regular file'}; --sign takes a PKCS#12 file (.p12 or .pfx)`,
    );
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UserInputError(path, `cannot be read (${code}); check its permissions`);
  }
}

/**
 * Refuses a certificate outside its validity period at `at`: `verify` checks that the signing
 * time lies inside it (docs/signing.md), so a report signed now would never verify.
 */
export function checkCertificateValidity(
  certificate: forge.pki.Certificate,
  path: string,
  at: Date = new Date(),
): void {
  const { notBefore, notAfter } = certificate.validity;
  const day = (d: Date) => d.toISOString().slice(0, 10);
  if (at > notAfter)
    throw new UserInputError(
      path,
      `the certificate expired on ${day(notAfter)}; a report signed with it would not verify: renew it or sign with another --sign`,
    );
  if (at < notBefore)
    throw new UserInputError(
      path,
      `the certificate is not valid before ${day(notBefore)}; check the computer's clock or the certificate`,
    );
}

export interface DefaultIdentityOptions {
  /** Default: $XDG_CONFIG_HOME/nepenthe, else ~/.config/nepenthe. */
  readonly configDir?: string;
  readonly passphrase: string;
  /** Common name for a newly created identity. */
  readonly commonName?: string;
}

export interface DefaultIdentity {
  readonly p12: Buffer;
  readonly path: string;
  /** True when this call created the identity file. */
  readonly created: boolean;
}

/**
 * The default self-signed identity: `<configDir>/identity.p12`, created on first use (mode
 * 0600, written to a temp name and renamed so a crash never leaves half a key file). An
 * existing file is opened with `passphrase` to check it, so a wrong one fails here, early.
 */
export function loadDefaultIdentity(options: DefaultIdentityOptions): DefaultIdentity {
  const configDir = options.configDir ?? defaultConfigDir();
  const path = join(configDir, IDENTITY_FILE);
  if (existsSync(path)) {
    const p12 = readFileSync(path);
    openP12(p12, options.passphrase, path);
    return { p12, path, created: false };
  }
  if (options.passphrase.length === 0) {
    throw new UserInputError(path, 'an empty passphrase would leave the signing key unprotected');
  }
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const p12 = createSelfSignedP12({
    commonName: options.commonName ?? defaultCommonName(),
    organization: 'Nepenthe self-signed',
    passphrase: options.passphrase,
  });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, p12, { mode: 0o600, flag: 'wx' });
  chmodSync(temp, 0o600); // the umask cannot widen it, but be explicit
  renameSync(temp, path);
  return { p12, path, created: true };
}

function defaultCommonName(): string {
  const user = process.env.USER ?? process.env.USERNAME ?? process.env.LOGNAME;
  return user ? `Nepenthe signer (${user})` : 'Nepenthe signer';
}

/** forge returns parsed attribute values as UTF-8 byte strings (it encodes them on writing). */
function decodeUtf8(bytes: string): string {
  try {
    return forge.util.decodeUtf8(bytes);
  } catch {
    return bytes;
  }
}

/** Accents dropped, anything else outside printable ASCII as '?'. */
export function asciiName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?');
}
