/**
 * The desktop app's secret store, with a fake keychain in place of Electron's safeStorage: what
 * goes in comes out, the file on disk never holds a value in clear, and with no keychain it
 * refuses to store rather than fall back to plain text.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encryptedFileSecretStore,
  type SecretCipher,
} from '../../src/main/electron/secret-file.ts';
import { KEY_PASSPHRASE_SECRET } from '../../src/main/secrets.ts';
import { UserInputError } from '../../src/shared/errors.ts';

/** A stand-in keychain: XOR with a key and a marker, so a ciphertext is not the plain value. */
function fakeCipher(available = true): SecretCipher & { calls: number } {
  const key = 0x5a;
  const cipher = {
    calls: 0,
    isAvailable: () => available,
    encrypt(plain: string) {
      cipher.calls++;
      return Buffer.concat([
        Buffer.from('v10'),
        Buffer.from(Buffer.from(plain, 'utf8').map((byte) => byte ^ key)),
      ]);
    },
    decrypt(sealed: Buffer) {
      expect(sealed.subarray(0, 3).toString()).toBe('v10');
      return Buffer.from(sealed.subarray(3).map((byte) => byte ^ key)).toString('utf8');
    },
  };
  return cipher;
}

const dirs: string[] = [];
const freshFile = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'nepenthe-secrets-'));
  dirs.push(dir);
  return join(dir, 'userData', 'secrets.json');
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('encryptedFileSecretStore', () => {
  const passphrase = 'correct horse battery staple ✓';

  it('round-trips values, also through a fresh store reading the same file', () => {
    const file = freshFile();
    const store = encryptedFileSecretStore(file, fakeCipher());
    expect(store.kind).toBe('safeStorage');
    expect(store.get(KEY_PASSPHRASE_SECRET)).toBeUndefined();
    store.set(KEY_PASSPHRASE_SECRET, passphrase);
    store.set('other', 'second value');
    expect(store.get(KEY_PASSPHRASE_SECRET)).toBe(passphrase);

    const reopened = encryptedFileSecretStore(file, fakeCipher());
    expect(reopened.get(KEY_PASSPHRASE_SECRET)).toBe(passphrase);
    expect(reopened.get('other')).toBe('second value');
    reopened.delete('other');
    expect(encryptedFileSecretStore(file, fakeCipher()).get('other')).toBeUndefined();
    expect(encryptedFileSecretStore(file, fakeCipher()).get(KEY_PASSPHRASE_SECRET)).toBe(
      passphrase,
    );
  });

  it('never writes a value in clear, and leaves no temporary file behind', () => {
    const file = freshFile();
    encryptedFileSecretStore(file, fakeCipher()).set(KEY_PASSPHRASE_SECRET, passphrase);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(passphrase);
    expect(text).not.toContain('correct horse');
    expect(JSON.parse(text)).toMatchObject({ format: 'nepenthe-secrets', version: 1 });
    expect(Object.keys(JSON.parse(text).secrets)).toEqual([KEY_PASSPHRASE_SECRET]);
    expect(readdirSync(join(file, '..'))).toEqual(['secrets.json']);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('refuses to store when the system has no encryption, and writes nothing', () => {
    const file = freshFile();
    const cipher = fakeCipher(false);
    const store = encryptedFileSecretStore(file, cipher);
    expect(() => store.set(KEY_PASSPHRASE_SECRET, passphrase)).toThrow(UserInputError);
    expect(() => store.set(KEY_PASSPHRASE_SECRET, passphrase)).toThrow(/no encryption/);
    expect(cipher.calls).toBe(0);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
    expect(store.get(KEY_PASSPHRASE_SECRET)).toBeUndefined();
  });

  it('names the file when it is not a secrets file', () => {
    const file = freshFile();
    encryptedFileSecretStore(file, fakeCipher()).set('a', 'b');
    writeFileSync(file, '{"hello": 1}');
    expect(() => encryptedFileSecretStore(file, fakeCipher()).get('a')).toThrow(file);
    writeFileSync(file, 'not json');
    expect(() => encryptedFileSecretStore(file, fakeCipher()).get('a')).toThrow(
      /not a Nepenthe secrets file/,
    );
  });
});
