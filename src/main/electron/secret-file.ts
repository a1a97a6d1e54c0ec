/**
 * A SecretStore kept in one JSON file, every value encrypted by the OS keychain (Electron's
 * safeStorage in the app; any encrypt/decrypt pair in tests). The file holds names and base64
 * ciphertext only, never a plain value; it is written to a temporary file and renamed, so a
 * crash leaves the old file or the new one, never half of one (DESIGN.md §9).
 *
 * File format: {"format":"nepenthe-secrets","version":1,"secrets":{"<name>":"<base64>"}}.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';
import type { SecretStore } from '../secrets.ts';

export interface SecretCipher {
  /** False where the OS offers no keychain (e.g. Linux without a secret service). */
  isAvailable(): boolean;
  encrypt(plain: string): Buffer;
  decrypt(cipher: Buffer): string;
}

interface SecretFile {
  readonly format: 'nepenthe-secrets';
  readonly version: 1;
  readonly secrets: Record<string, string>;
}

export function encryptedFileSecretStore(file: string, cipher: SecretCipher): SecretStore {
  let cache: Map<string, string> | undefined;
  const secrets = (): Map<string, string> => (cache ??= readSecrets(file));
  const save = (next: Map<string, string>): void => {
    writeAtomically(file, serialize(next));
    cache = next;
  };
  return {
    kind: 'safeStorage',
    get(name) {
      const sealed = secrets().get(name);
      if (sealed === undefined || !cipher.isAvailable()) return undefined;
      return cipher.decrypt(Buffer.from(sealed, 'base64'));
    },
    set(name, value) {
      if (!cipher.isAvailable())
        throw new UserInputError(
          file,
          'cannot keep the passphrase: this system offers no encryption for stored secrets ' +
            "(on Linux, start a secret service such as GNOME Keyring or KWallet). Enter the passphrase each time instead, without 'remember'.",
        );
      const next = new Map(secrets());
      next.set(name, cipher.encrypt(value).toString('base64'));
      save(next);
    },
    delete(name) {
      if (!secrets().has(name)) return;
      const next = new Map(secrets());
      next.delete(name);
      save(next);
    },
  };
}

function readSecrets(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  let parsed: Partial<SecretFile> | null;
  try {
    parsed = JSON.parse(text) as Partial<SecretFile> | null;
  } catch {
    parsed = null;
  }
  if (
    parsed === null ||
    parsed.format !== 'nepenthe-secrets' ||
    parsed.version !== 1 ||
    !isRecord(parsed.secrets)
  )
    throw new UserInputError(
      file,
      'not a Nepenthe secrets file (format nepenthe-secrets, version 1); move it away and store the passphrase again',
    );
  return new Map(Object.entries(parsed.secrets).filter(([, v]) => typeof v === 'string'));
}

function serialize(secrets: Map<string, string>): string {
  const body: SecretFile = {
    format: 'nepenthe-secrets',
    version: 1,
    secrets: Object.fromEntries(secrets),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
