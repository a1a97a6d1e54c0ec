/**
 * Where the app keeps secrets (the default signing identity's key passphrase): encrypted at
 * rest through Electron's `safeStorage` in the desktop app (src/main/electron), in memory for
 * the life of the process in `nepenthe serve`, which has no OS keychain to lean on. Never in a
 * plain file.
 */
export interface SecretStore {
  readonly kind: 'safeStorage' | 'memory';
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  delete(name: string): void;
}

export const KEY_PASSPHRASE_SECRET = 'default-identity-key-passphrase';

export function memorySecretStore(): SecretStore {
  const values = new Map<string, string>();
  return {
    kind: 'memory',
    get: (name) => values.get(name),
    set: (name, value) => void values.set(name, value),
    delete: (name) => void values.delete(name),
  };
}
