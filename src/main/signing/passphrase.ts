/**
 * Where a signing passphrase comes from in the CLI (DESIGN.md §6): an environment variable,
 * else a prompt when stdin is a terminal, else nowhere — and then the caller stops with exit 2
 * rather than write or use an unprotected key.
 */
import { createInterface } from 'node:readline';

export const P12_PASSPHRASE_ENV = 'NEPENTHE_P12_PASSPHRASE';
export const KEY_PASSPHRASE_ENV = 'NEPENTHE_KEY_PASSPHRASE';

export interface PassphraseSource {
  readonly env: NodeJS.ProcessEnv;
  /** Whether a person can be asked: stdin is a TTY. */
  readonly interactive: boolean;
  readonly prompt: (question: string) => Promise<string>;
}

export function processPassphraseSource(): PassphraseSource {
  return {
    env: process.env,
    interactive: process.stdin.isTTY === true,
    prompt: promptHidden,
  };
}

/** Reads one line from the terminal without echoing it; the question goes to stderr. */
export async function promptHidden(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write(question);
  // readline echoes typed characters through _writeToOutput; muting it hides the passphrase.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
