/**
 * The app's settings, kept as JSON in `<configDir>/settings.json` and written atomically (temp
 * file + rename, DESIGN.md §9). A missing or damaged file falls back to the defaults key by key,
 * so one bad value never locks the user out of the app.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Settings } from '../../shared/app-api.ts';
import { defaultLedgerPath } from '../ledger/paths.ts';

export const SETTINGS_FILE = 'settings.json';

export interface SettingsStore {
  get(): Settings;
  set(changes: Partial<Settings>): Settings;
}

/** `$XDG_DATA_HOME/nepenthe/runs`, else `~/.local/share/nepenthe/runs`. */
export function defaultWorkspace(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_DATA_HOME;
  // The XDG base-directory spec: a relative value is invalid and ignored.
  const base = xdg && xdg.startsWith('/') ? xdg : join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'nepenthe', 'runs');
}

export function createSettingsStore(
  configDir: string,
  env: NodeJS.ProcessEnv,
  workspaceOverride?: string,
): SettingsStore {
  const file = join(configDir, SETTINGS_FILE);
  const defaults: Settings = {
    workspace: defaultWorkspace(env),
    backend: 'auto',
    seed: 0,
    ledgerPath: defaultLedgerPath(env),
  };
  let current = { ...defaults, ...readKeys(file) };
  // The override (serve --workspace, tests) wins for this process without being persisted.
  const effective = (s: Settings): Settings =>
    workspaceOverride === undefined ? s : { ...s, workspace: workspaceOverride };
  return {
    get: () => effective(current),
    set(changes) {
      // A key sent as undefined means "unchanged", not "cleared".
      const given = Object.entries(changes).filter(([, v]) => v !== undefined);
      const next = Settings.parse({ ...current, ...Object.fromEntries(given) });
      writeAtomic(file, next);
      current = next;
      return effective(current);
    },
  };
}

/** The valid keys of the file, each checked on its own; nothing when it is absent or unreadable. */
function readKeys(file: string): Partial<Settings> {
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null) return {};
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(Settings.shape)) {
    const value = (raw as Record<string, unknown>)[key];
    if (schema.safeParse(value).success) out[key] = value;
  }
  return out as Partial<Settings>;
}

function writeAtomic(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temp, file);
}
