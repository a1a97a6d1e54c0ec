/**
 * `verifyPdf`: is this report exactly what its signer signed? (DESIGN.md §6.) It checks that
 * the signature's /ByteRange covers the whole file but the /Contents hex string, that the CMS
 * signature in /Contents signs those bytes (cms.ts), and reads the embedded attachments: being
 * inside the signed ranges, they are covered by the same signature, so a changed attachment is
 * a changed byte and fails it. Input that is not a signed PDF at all is a `UserInputError`
 * (exit 2); a damaged or altered signed PDF is a report with `valid: false` (exit 1).
 */
import { createHash, type X509Certificate } from 'node:crypto';
import type { VerifiedAttachment, VerifyReport } from '../../shared/signing.ts';
import { UserInputError } from '../../shared/errors.ts';
import { checkDetachedCms } from './cms.ts';
import {
  dictRef,
  dictString,
  inflateBudget,
  MAX_INFLATED_BYTES,
  readObjects,
  streamBytes,
  StreamTooLarge,
  type PdfObject,
} from './pdf-objects.ts';

/** Anything that says "a signature was here": a damaged one is still tampering, not exit 2. */
const SIGNATURE_MARKERS = /\/ByteRange|\/adbe\.pkcs7|\/ETSI\.CAdES|\/FT\s*\/Sig|\/Type\s*\/Sig\b/;

export function verifyPdf(pdf: Buffer): VerifyReport {
  const text = pdf.toString('latin1');
  if (!SIGNATURE_MARKERS.test(text)) {
    throw new UserInputError(
      undefined,
      text.slice(0, 1024).includes('%PDF-')
        ? 'the PDF has no signature: not a signed Nepenthe report'
        : 'not a PDF: not a Nepenthe report',
    );
  }
  const empty = { signer: null, selfSigned: null, chain: [], signedAt: null };
  const objects = readObjects(pdf);
  const sigObject = [...objects.values()]
    .filter((o) => o.dict.includes('/ByteRange'))
    .sort((a, b) => b.start - a.start)[0];
  const signatureName = sigObject ? (dictString(sigObject.dict, 'Name') ?? null) : null;
  const signatureReason = sigObject ? (dictString(sigObject.dict, 'Reason') ?? null) : null;
  const decoded = decodeAttachments(pdf, objects);
  const base = {
    ...empty,
    signatureName,
    signatureReason,
    attachments: verifiedAttachments(decoded, []),
  };
  const ranges = byteRange(text, pdf.length);
  if (typeof ranges === 'string') return { ...base, valid: false, reason: ranges };
  const signed = ranges.map(([start, length]) => ({ start, end: start + length }));
  const attachments = verifiedAttachments(decoded, signed);

  const der = signatureDer(text.slice(signed[0]!.end + 1, signed[1]!.start - 1));
  if (typeof der === 'string') return { ...base, attachments, valid: false, reason: der };
  const cms = checkDetachedCms(
    der,
    signed.map(({ start, end }) => pdf.subarray(start, end)),
  );
  const signer = cms.signer;
  const chain = signer ? certificateChain(signer, cms.certificates) : [];
  const selfSigned = signer ? isSelfSigned(signer) : null;
  const signedAt =
    cms.signingTime ?? pdfDate(sigObject ? dictString(sigObject.dict, 'M') : undefined);
  const report: VerifyReport = {
    valid: cms.valid,
    ...(cms.reason ? { reason: cms.reason } : {}),
    signer: signer ? commonName(signer) : null,
    selfSigned,
    chain: chain.map(commonName),
    signedAt: signedAt?.toISOString() ?? null,
    signatureName,
    signatureReason,
    attachments,
  };
  if (!report.valid) return report;
  if (signer) {
    const altered = alteredCertificate(signer, chain, cms.certificates);
    if (altered) return { ...report, valid: false, reason: altered };
  }
  if (signer && signedAt && !validAt(signer, signedAt)) {
    return {
      ...report,
      valid: false,
      reason: 'the signer certificate was not valid at the signing time',
    };
  }
  const bad = attachments.find((a) => !a.matches);
  if (bad) {
    return {
      ...report,
      valid: false,
      reason: `attachment ${bad.name} is not covered by the signature or fails its checksum`,
    };
  }
  return report;
}

/**
 * The last /ByteRange [0 a b c]: two ranges that must cover the file exactly, leaving out only
 * the `<hex>` of /Contents between a and b (ISO 32000-1 §12.8.1). Anything else — bytes after
 * the signed ranges (an unsigned incremental update), overlaps, a gap that is not the hex
 * string — is a reason the report is not valid.
 */
function byteRange(text: string, fileLength: number): Array<[number, number]> | string {
  const all = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  const last = all[all.length - 1];
  if (!last) return 'the signature dictionary is damaged: no readable /ByteRange';
  const [a, b, c, d] = last.slice(1, 5).map(Number) as [number, number, number, number];
  if (a !== 0 || b <= 0 || c <= b + 1) return 'the /ByteRange is malformed';
  if (c + d !== fileLength) {
    return c + d < fileLength
      ? 'bytes were added after the signed ranges: the file was changed after signing'
      : 'the /ByteRange reaches past the end of the file: the file was truncated or changed';
  }
  if (text[b] !== '<' || text[c - 1] !== '>') {
    return 'the /ByteRange does not surround the signature: the file was changed after signing';
  }
  if (!/\/Contents\s*$/.test(text.slice(Math.max(0, b - 32), b))) {
    return 'the /ByteRange gap is not the /Contents of the signature';
  }
  return [
    [a, b],
    [c, d],
  ];
}

/**
 * The CMS bytes from the /Contents hex: hex digits only, one letter case (a flipped case bit
 * would decode to the same bytes, so a mixed case means an edit), and after the DER value only
 * the zero padding the placeholder left.
 */
function signatureDer(hex: string): Buffer | string {
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) {
    return 'the signature /Contents is not a hex string: it was changed';
  }
  if (/[a-f]/.test(hex) && /[A-F]/.test(hex)) {
    return 'the signature /Contents mixes letter cases: it was changed';
  }
  const bytes = Buffer.from(hex, 'hex');
  const length = derLength(bytes);
  if (length === undefined || length > bytes.length) return 'the signature is not valid DER';
  if (bytes.subarray(length).some((byte) => byte !== 0)) {
    return 'the signature /Contents has data after the CMS: it was changed';
  }
  if (length === 0) return 'the signature placeholder was never filled';
  return bytes.subarray(0, length);
}

/** Total length of the DER value at offset 0 (X.690 §8.1.3), or undefined if malformed. */
function derLength(bytes: Buffer): number | undefined {
  if (bytes.length < 2) return bytes.every((b) => b === 0) ? 0 : undefined;
  if (bytes[0] === 0 && bytes[1] === 0) return 0;
  const first = bytes[1]!;
  if (first < 0x80) return 2 + first;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4 || bytes.length < 2 + octets) return undefined;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + bytes[2 + i]!;
  return 2 + octets + length;
}

interface DecodedAttachment {
  readonly name: string;
  readonly file: PdfObject;
  /** The decoded bytes; undefined when the stream does not decode (corrupt, another filter). */
  readonly data: Buffer | undefined;
}

/**
 * Embedded files (§7.11.4): each /Filespec's /EF /F stream, decoded once, all of them within
 * MAX_INFLATED_BYTES together. Past it the PDF is bad input (a compression bomb), not a report
 * with one unreadable attachment: nothing Nepenthe writes comes near the limit.
 */
function decodeAttachments(pdf: Buffer, objects: Map<number, PdfObject>): DecodedAttachment[] {
  const budget = inflateBudget();
  const decoded: DecodedAttachment[] = [];
  for (const spec of objects.values()) {
    if (!/\/Type\s*\/Filespec\b/.test(spec.dict)) continue;
    const name =
      dictString(spec.dict, 'UF') ?? dictString(spec.dict, 'F') ?? `object ${spec.number}`;
    const ef = /\/EF\s*<<([^>]*)>>/.exec(spec.dict)?.[1];
    const file = ef === undefined ? undefined : objects.get(dictRef(ef, 'F') ?? -1);
    if (!file?.stream) continue;
    const fresh = budget.left === MAX_INFLATED_BYTES;
    let data: Buffer | undefined;
    try {
      data = streamBytes(pdf, file, budget);
    } catch (error) {
      if (error instanceof StreamTooLarge) throw tooLarge(name, fresh);
      data = undefined;
    }
    decoded.push({ name, file, data });
  }
  return decoded;
}

function tooLarge(name: string, first: boolean): UserInputError {
  const limit = `${MAX_INFLATED_BYTES / 2 ** 20} MiB`;
  return new UserInputError(
    undefined,
    `${first ? `attachment ${name} inflates` : `the attachments up to ${name} inflate`} to more than ${limit}, the most a report may attach: a compression bomb, not a Nepenthe report`,
  );
}

/** Each attachment's hash and size; `matches` when it lies inside `signed` and its checksum holds. */
function verifiedAttachments(
  decoded: readonly DecodedAttachment[],
  signed: ReadonlyArray<{ start: number; end: number }>,
): VerifiedAttachment[] {
  return decoded.map(({ name, file, data }) => {
    if (data === undefined)
      return {
        name,
        sha256: createHash('sha256').update('').digest('hex'),
        size: 0,
        matches: false,
      };
    const inside = signed.some((r) => file.start >= r.start && file.end <= r.end);
    return {
      name,
      sha256: createHash('sha256').update(data).digest('hex'),
      size: data.length,
      matches: inside && checksumMatches(file.dict, data),
    };
  });
}

/** /Params /CheckSum is the MD5 of the file (§7.11.4.2): 16 bytes, or 32 hex chars (pdfkit). */
function checksumMatches(dict: string, data: Buffer): boolean {
  const params = /\/Params\s*<<([^>]*)>>/.exec(dict)?.[1];
  if (params === undefined) return true;
  const size = /\/Size\s+(\d+)/.exec(params)?.[1];
  if (size !== undefined && Number(size) !== data.length) return false;
  const declared = dictString(params, 'CheckSum');
  if (declared === undefined) return true;
  const md5 = createHash('md5').update(data);
  const digest = md5.digest();
  return /^[0-9a-fA-F]{32}$/.test(declared)
    ? declared.toLowerCase() === digest.toString('hex')
    : Buffer.from(declared, 'latin1').equals(digest);
}

/** Signer first, then each issuer found among the signature's certificates. */
function certificateChain(
  signer: X509Certificate,
  certs: readonly X509Certificate[],
): X509Certificate[] {
  const chain = [signer];
  for (let current = signer; chain.length < 10;) {
    if (isSelfSigned(current)) break;
    const issuer = certs.find(
      (c) => !chain.includes(c) && c.subject === current.issuer && current.verify(c.publicKey),
    );
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

/**
 * Its own issuer, and its signature verifies with its own key. (OpenSSL's checkIssued would
 * also demand keyCertSign in the key usage, which a signing-only certificate rightly lacks.)
 */
function isSelfSigned(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer && cert.verify(cert.publicKey);
}

/**
 * The certificates ride in the CMS outside what the signature covers; their own signatures pin
 * them. A self-issued one must verify with its own key, and every one must be on the chain.
 */
function alteredCertificate(
  signer: X509Certificate,
  chain: readonly X509Certificate[],
  certs: readonly X509Certificate[],
): string | undefined {
  const top = chain[chain.length - 1]!;
  if (top.subject === top.issuer && !top.verify(top.publicKey)) {
    return `the certificate of ${commonName(top)} does not verify with its own key: it was altered`;
  }
  if (certs.some((c) => !chain.includes(c))) {
    return `the signature carries certificates that are not on the signer's chain (${commonName(signer)})`;
  }
  return undefined;
}

function commonName(cert: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? cert.subject.replace(/\n/g, ', ');
}

function validAt(cert: X509Certificate, time: Date): boolean {
  return new Date(cert.validFrom) <= time && time <= new Date(cert.validTo);
}

/** §7.9.4 date: D:YYYYMMDDHHmmSSOHH'mm', later fields optional. */
function pdfDate(value: string | undefined): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?/.exec(
    value ?? '',
  );
  if (!m) return undefined;
  const [y, mo = '01', d = '01', h = '00', mi = '00', s = '00', sign, oh = '00', om = '00'] =
    m.slice(1);
  const offset = sign === '+' || sign === '-' ? `${sign}${oh}:${om}` : 'Z';
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
