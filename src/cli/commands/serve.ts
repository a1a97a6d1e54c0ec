/**
 * `nepenthe serve [--port N]`: the desktop app's UI in a browser (DESIGN.md §5). The same
 * renderer build, the same services and worker (createAppBackend), over HTTP on loopback with a
 * random token instead of Electron IPC. Runs until SIGINT/SIGTERM, then stops the backend
 * (checkpointing a running audit, ending the worker) and exits 0.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserInputError } from '../../shared/errors.ts';
import { memorySecretStore } from '../../main/secrets.ts';
import { createServeServer, isLoopbackHost } from '../../main/serve/index.ts';
import type { Command } from '../command.ts';

const DEFAULT_RENDERER = fileURLToPath(new URL('../../../out/renderer/', import.meta.url));

export const serve: Command = {
  name: 'serve',
  usage: 'serve [--port N] [--host <address>] [--workspace <dir>] [--renderer <dir>]',
  summary: 'the UI in a browser, loopback only, token-protected',
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string' },
    workspace: { type: 'string' },
    renderer: { type: 'string' },
  },
  positionals: 0,
  async run({ values, global, print }) {
    const port = parsePort(values.port);
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    const rendererDir = rendererBuild(values.renderer);
    const workspace = typeof values.workspace === 'string' ? resolve(values.workspace) : undefined;
    if (!isLoopbackHost(host)) {
      process.stderr.write(
        `nepenthe serve: WARNING: listening on ${host}, not loopback: anyone who can reach this ` +
          'address and learns the token can run audits and read files as you\n',
      );
    }

    // Loaded here, not at the top: `nepenthe --help` loads every command for its summary.
    const { createAppBackend } = await import('../../main/services/index.ts');
    const backend = await createAppBackend({
      transport: 'browser',
      secrets: memorySecretStore(),
      ...(workspace === undefined ? {} : { workspace }),
      onWorkerOutput: (text) => process.stderr.write(text),
    });
    let server;
    try {
      server = await createServeServer({ backend, rendererDir, host, port });
    } catch (error) {
      await backend.dispose();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES')
        throw new UserInputError(
          undefined,
          `cannot listen on ${host}:${port} (${code}); try another --port or --host`,
        );
      throw error;
    }

    const scope = isLoopbackHost(host)
      ? 'Loopback only (this machine)'
      : `Listening on ${host}, NOT loopback`;
    print(
      { url: server.url },
      `Nepenthe is serving the app at\n\n  ${server.url}\n\n${scope}, token-protected: open the URL ` +
        'above (it holds the token). Ctrl+C stops.',
    );
    if (global.json) process.stderr.write('nepenthe serve: running; SIGINT or SIGTERM stops it\n');

    await untilSignal();
    await server.close();
    await backend.dispose();
  },
};

function parsePort(value: string | boolean | undefined): number {
  const port = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || port > 65535)
    throw new UserInputError(
      undefined,
      `--port must be 0..65535 (0: any free port), got "${String(value)}"`,
    );
  return port;
}

/** --renderer, else NEPENTHE_RENDERER_DIR, else the package's out/renderer: must hold index.html. */
function rendererBuild(option: string | boolean | undefined): string {
  const dir = resolve(
    typeof option === 'string' ? option : (process.env.NEPENTHE_RENDERER_DIR ?? DEFAULT_RENDERER),
  );
  if (!existsSync(resolve(dir, 'index.html')))
    throw new UserInputError(
      dir,
      'no renderer build here (no index.html); run `npm run build` first, or pass --renderer <dir>',
    );
  return dir;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolvePromise) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolvePromise(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
