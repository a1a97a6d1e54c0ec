/**
 * Signs a finished PDF as PAdES-style detached CMS (ETSI EN 319 142-1, adbe.pkcs7.detached
 * subfilter): placeholder-plain appends an incremental update with the signature dictionary
 * (/ByteRange, /Contents placeholder, /M signing time, /Name signer, /Reason), then signpdf
 * fills /Contents with a CMS SignedData over every byte outside /Contents.
 *
 * placeholder-plain reads the classic xref table, so the input must have no cross-reference
 * or object streams (PDF 1.5): pdfkit 0.20 writes a classic table, which is what we sign.
 */
import { plainAddPlaceholder } from '@signpdf/placeholder-plain';
import { P12Signer } from '@signpdf/signer-p12';
import signpdfModule from '@signpdf/signpdf';
import { asciiName, openP12 } from './identity.ts';

export interface SignOptions {
  readonly p12: Buffer;
  readonly passphrase: string;
  /** Why the document is signed (the dictionary's /Reason). */
  readonly reason: string;
  /** Signer name for /Name; default: the certificate's common name. */
  readonly name?: string;
  readonly location?: string;
  readonly contactInfo?: string;
  /** Default: now. */
  readonly signingTime?: Date;
}

/** Room for the CMS in /Contents: a 2048/4096-bit signature plus a short chain fits in 16 KiB. */
const SIGNATURE_BYTES = 16_384;

export async function signPdf(pdf: Buffer, options: SignOptions): Promise<Buffer> {
  if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('not a PDF');
  const text = pdf.toString('latin1');
  if (/\/Type\s*\/(ObjStm|XRef)\b/.test(text)) {
    throw new Error(
      'the PDF uses object or cross-reference streams, which the signer cannot update',
    );
  }
  const identity = openP12(options.p12, options.passphrase); // fails early on a bad passphrase
  const signingTime = options.signingTime ?? new Date();
  const withPlaceholder = plainAddPlaceholder({
    pdfBuffer: pdf,
    reason: options.reason,
    contactInfo: options.contactInfo ?? '',
    name: asciiName(options.name ?? identity.commonName),
    location: options.location ?? '',
    signingTime,
    signatureLength: SIGNATURE_BYTES,
    appName: 'Nepenthe',
  });
  const signer = new P12Signer(options.p12, { passphrase: options.passphrase });
  return signpdf(withPlaceholder, signer, signingTime);
}

// signpdf writes a non-ASCII /Name as UTF-16 code units pushed through UTF-8 (mojibake in
// readers), so /Name gets an ASCII form.
// @signpdf/signpdf is CommonJS with `exports.default` (a SignPdf instance); under Node's ESM
// interop the default import is either that instance or the module object holding it.
interface SignPdfInstance {
  sign(pdf: Buffer, signer: P12Signer, signingTime?: Date): Promise<Buffer>;
}

function signpdf(pdf: Buffer, signer: P12Signer, time: Date): Promise<Buffer> {
  const mod = signpdfModule as unknown as Partial<SignPdfInstance> & { default?: SignPdfInstance };
  const instance: SignPdfInstance = mod.sign ? (mod as SignPdfInstance) : mod.default!;
  return instance.sign(pdf, signer, time);
}
