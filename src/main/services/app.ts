/** `app.info`, `settings.get`, `settings.set`. */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { VERSION_ENV } from '../../shared/environment.ts';
import { ApiFailure, type Handlers } from '../ipc/dispatcher.ts';
import { testbedPaths, type ServiceContext } from './context.ts';

type AppHandlers = Pick<Handlers, 'app.info' | 'settings.get' | 'settings.set'>;

export function appHandlers(context: ServiceContext): AppHandlers {
  return {
    async 'app.info'() {
      const settings = context.settings.get();
      const cpus = os.cpus();
      return {
        version: packageVersion(),
        transport: context.options.transport,
        platform: os.platform(),
        arch: os.arch(),
        cpu: cpus[0]?.model.trim() ?? 'unknown',
        cores: Math.max(1, cpus.length),
        memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
        engine: await context.describeEngine(),
        testbed: testbedPaths(context.resourcesDir),
        workspace: settings.workspace,
        configDir: context.configDir,
      };
    },
    async 'settings.get'() {
      return context.settings.get();
    },
    async 'settings.set'(changes) {
      for (const key of ['workspace', 'ledgerPath'] as const) {
        const value = changes[key];
        if (value !== undefined && !isAbsolute(value))
          throw new ApiFailure('bad-input', `${key} must be an absolute path, got "${value}"`);
      }
      return context.settings.set(changes);
    },
  };
}

function packageVersion(): string {
  const given = process.env[VERSION_ENV];
  if (given) return given;
  try {
    const url = new URL('../../../package.json', import.meta.url);
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown'; // a bundle without package.json beside it
  }
}
