/**
 * Signing and verifying report PDFs (DESIGN.md §6). No Electron here: the CLI and the app
 * share it; the app supplies its passphrase from safeStorage instead of the environment.
 */
export { defaultConfigDir } from './config-dir.ts';
export {
  checkCertificateValidity,
  createSelfSignedP12,
  loadDefaultIdentity,
  openP12,
  readP12File,
} from './identity.ts';
export { KEY_PASSPHRASE_ENV, P12_PASSPHRASE_ENV } from './passphrase.ts';
export type { PassphraseSource } from './passphrase.ts';
export { signPdf } from './sign.ts';
export type { SignOptions } from './sign.ts';
export { assertCanSign, signReportFile } from './sign-report-file.ts';
export type { SignedReport, SignReportOptions } from './sign-report-file.ts';
export { MAX_INFLATED_BYTES } from './pdf-objects.ts';
export { MAX_PDF_BYTES, readReportPdf } from './read-pdf.ts';
export { verifyPdf } from './verify.ts';
