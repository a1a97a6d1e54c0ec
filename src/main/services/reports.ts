/**
 * Signing and exporting: `signing.status`, `report.sign` (render, sign, record in the ledger:
 * writeSignedReport), `report.verify` (as `nepenthe verify`), `report.export`, `model.export`,
 * `shell.openFolder`. The passphrase comes from the request or the SecretStore (safeStorage in
 * the desktop app); it is handed to the signer in memory and never written to disk here.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  readdirSync,
  cpSync,
  existsSync,
  lstatSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RunId } from '../../shared/app-api.ts';
import { isUserInputError } from '../../shared/errors.ts';
import { VerifiedReport } from '../../shared/report.ts';
import { VerifyReport } from '../../shared/signing.ts';
import { checkLedger } from '../report/ledger-check.ts';
import { signedReportSummary, writeSignedReport } from '../report/signed.ts';
import { IDENTITY_FILE } from '../signing/config-dir.ts';
import {
  KEY_PASSPHRASE_ENV,
  P12_PASSPHRASE_ENV,
  type PassphraseSource,
} from '../signing/passphrase.ts';
import { readReportPdf } from '../signing/read-pdf.ts';
import { verifyPdf } from '../signing/verify.ts';
import { KEY_PASSPHRASE_SECRET } from '../secrets.ts';
import { ApiFailure, type Handlers } from '../ipc/dispatcher.ts';
import type { ServiceContext } from './context.ts';
import { REPORT_FILE } from './run-records.ts';

type ReportHandlers = Pick<
  Handlers,
  | 'signing.status'
  | 'report.sign'
  | 'report.verify'
  | 'report.export'
  | 'model.export'
  | 'shell.openFolder'
>;

export function reportHandlers(context: ServiceContext): ReportHandlers {
  const secrets = context.options.secrets;
  const runDirOf = (runId: string) => {
    const runDir = join(context.settings.get().workspace, runId);
    if (!existsSync(join(runDir, 'manifest.json')))
      throw new ApiFailure('not-found', `no run ${runId} in ${context.settings.get().workspace}`);
    return runDir;
  };
  /** Real paths of the reports `report.export` wrote in this process (openable, see below). */
  const exportedReports = new Set<string>();
  return {
    async 'signing.status'() {
      const path = join(context.configDir, IDENTITY_FILE);
      return {
        defaultIdentity: { path, exists: existsSync(path) },
        passphraseStored: secrets.get(KEY_PASSPHRASE_SECRET) !== undefined,
        secretStore: secrets.kind,
      };
    },
    async 'report.sign'({ runId, certificate, passphrase, remember }) {
      const runDir = runDirOf(runId);
      const p12 = certificate.kind === 'p12' ? resolve(certificate.path) : undefined;
      const secret =
        passphrase ?? (p12 === undefined ? secrets.get(KEY_PASSPHRASE_SECRET) : undefined);
      if (secret === undefined)
        throw new ApiFailure(
          'needs-passphrase',
          p12 === undefined
            ? 'the default signing identity needs its key passphrase (none is stored yet)'
            : `${p12}: give the PKCS#12 passphrase`,
        );
      const written = await writeSignedReport(runDir, {
        ...(p12 === undefined ? {} : { sign: p12 }),
        ledgerPath: context.settings.get().ledgerPath,
        configDir: context.configDir,
        passphrases: passphraseSource(
          context.env,
          p12 === undefined ? KEY_PASSPHRASE_ENV : P12_PASSPHRASE_ENV,
          secret,
        ),
      });
      // Only once it worked: a wrong passphrase is never remembered.
      if (remember && p12 === undefined) secrets.set(KEY_PASSPHRASE_SECRET, secret);
      return signedReportSummary(written);
    },
    async 'report.verify'({ path, ledgerPath }) {
      const file = resolve(path);
      if (!existsSync(file) || !statSync(file).isFile())
        throw new ApiFailure('not-found', `${file}: no such file`);
      let pdf: Buffer;
      let signature: VerifyReport;
      try {
        pdf = readReportPdf(file);
        signature = VerifyReport.parse(verifyPdf(pdf));
      } catch (error) {
        if (isUserInputError(error))
          throw new ApiFailure(
            'bad-input',
            error.path === undefined ? `${file}: ${error.message}` : error.message,
          );
        throw error;
      }
      const sha256 = createHash('sha256').update(pdf).digest('hex');
      const ledger = checkLedger(
        resolve(ledgerPath ?? context.settings.get().ledgerPath),
        sha256,
        signature.attachments,
      );
      return VerifiedReport.parse({ ...signature, sha256, ledger });
    },
    async 'report.export'({ runId, dest }) {
      const report = join(runDirOf(runId), REPORT_FILE);
      if (!existsSync(report))
        throw new ApiFailure('not-found', `${runId} has no signed report yet; sign it first`);
      const target = freeDestination(dest);
      const temp = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
      try {
        copyFileSync(report, temp);
        renameSync(temp, target);
      } finally {
        rmSync(temp, { force: true });
      }
      exportedReports.add(realpathSync(target));
      return { path: target, bytes: statSync(target).size };
    },
    async 'model.export'({ runId, what, dest }) {
      const source = join(runDirOf(runId), what);
      if (!existsSync(source))
        throw new ApiFailure(
          'not-found',
          what === 'adapter'
            ? `${runId} has no adapter (only LoRA methods such as bounded write one)`
            : `${runId} has no unlearned model (the run did not finish training)`,
        );
      const target = freeDestination(dest);
      const staging = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
      try {
        cpSync(source, staging, { recursive: true });
        renameSync(staging, target);
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
      return { path: target, bytes: folderBytes(target) };
    },
    async 'shell.openFolder'({ path }) {
      const target = openableTarget(context.settings.get().workspace, path, exportedReports);
      const opened = (await context.options.shell?.openFolder(target)) ?? false;
      return { opened, path: target };
    },
  };
}

/** The signer reads the passphrase from this source's env only: never a prompt, never the disk. */
function passphraseSource(
  env: NodeJS.ProcessEnv,
  name: string,
  passphrase: string,
): PassphraseSource {
  const clean = { ...env };
  delete clean[KEY_PASSPHRASE_ENV];
  delete clean[P12_PASSPHRASE_ENV];
  return {
    env: { ...clean, [name]: passphrase },
    interactive: false,
    prompt: () => Promise.reject(new Error('the app never prompts on a terminal')),
  };
}

/**
 * What `shell.openFolder` may hand to the OS: `shell.openPath` opens a folder in the file
 * manager but *launches* a file, so a compromised renderer that could name any path could run
 * any program. Only what the app itself created is opened: a run folder directly under the
 * workspace (a run id holding manifest.json), the report.pdf inside one, or a report that
 * `report.export` wrote in this process. Compared as real paths, so a link planted in the
 * workspace cannot point elsewhere.
 */
export function openableTarget(
  workspace: string,
  path: string,
  exportedReports: ReadonlySet<string>,
): string {
  const given = resolve(path);
  let real: string;
  try {
    real = realpathSync(given);
  } catch {
    throw new ApiFailure('not-found', `${given}: no such file or folder`);
  }
  const refused = () =>
    new ApiFailure(
      'bad-input',
      `${given}: not a run folder or a report this app wrote; only those can be opened`,
    );
  let workspaceReal: string;
  try {
    workspaceReal = realpathSync(workspace);
  } catch {
    throw refused();
  }
  const isRunFolder = (folder: string) =>
    dirname(folder) === workspaceReal &&
    RunId.safeParse(basename(folder)).success &&
    lstatSync(folder).isDirectory() &&
    existsSync(join(folder, 'manifest.json'));
  const stats = lstatSync(real);
  if (stats.isDirectory() && isRunFolder(real)) return real;
  if (stats.isFile()) {
    if (exportedReports.has(real)) return real;
    if (basename(real) === REPORT_FILE && isRunFolder(dirname(real))) return real;
  }
  throw refused();
}

/** An export destination: absolute, not there yet, its folder existing. */
function freeDestination(dest: string): string {
  const target = resolve(dest);
  if (existsSync(target))
    throw new ApiFailure('bad-input', `${target} already exists; choose a new name`);
  if (!existsSync(dirname(target)))
    throw new ApiFailure('bad-input', `${dirname(target)}: no such folder`);
  return target;
}

function folderBytes(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.size;
  return readdirSyncSafe(path).reduce((n, name) => n + folderBytes(join(path, name)), 0);
}

function readdirSyncSafe(path: string): string[] {
  return existsSync(path) ? readdirSync(path) : [];
}
