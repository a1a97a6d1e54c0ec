/** Where the CLI keeps the default signing identity (DESIGN.md §6): the XDG config folder. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG base-directory spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.config');
  return join(base, 'nepenthe');
}

export const IDENTITY_FILE = 'identity.p12';
