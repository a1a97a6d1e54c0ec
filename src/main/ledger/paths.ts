/** Where the ledger lives by default: the user's config folder (DESIGN.md §6). */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$XDG_CONFIG_HOME/nepenthe`, or `~/.config/nepenthe` when that is unset or empty. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.config'), 'nepenthe');
}

export function defaultLedgerPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'ledger.jsonl');
}
