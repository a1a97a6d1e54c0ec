/**
 * The names of the app's API channels (renderer → main), and nothing else: the preload imports
 * this list to refuse unknown channels without pulling in zod (a sandboxed preload bundles
 * everything it imports). The schemas of each channel are in app-api.ts, keyed by these names;
 * a test checks the two lists agree.
 */
export const CHANNEL_NAMES = [
  'app.info',
  'settings.get',
  'settings.set',
  'files.list',
  'files.pick',
  'files.upload',
  'model.inspect',
  'model.prune',
  'documents.describe',
  'documents.preview',
  'methods.list',
  'run.start',
  'run.cancel',
  'run.resume',
  'run.status',
  'runs.list',
  'runs.open',
  'signing.status',
  'report.sign',
  'report.verify',
  'report.export',
  'model.export',
  'shell.openFolder',
] as const;

export type ChannelName = (typeof CHANNEL_NAMES)[number];

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && (CHANNEL_NAMES as readonly string[]).includes(name);
}

/** Electron IPC channel of an API channel, and the one events come down on. */
export const ipcChannel = (name: ChannelName): string => `nepenthe:${name}`;
export const IPC_EVENT_CHANNEL = 'nepenthe:event';
