/**
 * Starts the real `nepenthe serve` (bin/nepenthe.mjs) on a random loopback port with its own
 * HOME, config and data folders, and reads the URL it prints first (DESIGN.md §5).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../cli/run-cli.ts';

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stderr: () => string;
  stop(): Promise<number | null>;
}

export async function startServe(
  home: string,
  rendererDir: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<ServeProcess> {
  for (const dir of ['config', 'data', 'workspace'])
    mkdirSync(join(home, dir), { recursive: true });
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--json',
      '--port',
      '0',
      '--renderer',
      rendererDir,
      '--workspace',
      join(home, 'workspace'),
    ],
    {
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: join(home, 'config'),
        XDG_DATA_HOME: join(home, 'data'),
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`serve printed no URL in 60 s: ${stderr}`)),
      60_000,
    );
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      try {
        resolve((JSON.parse(stdout.slice(0, newline)) as { url: string }).url);
      } catch (error) {
        reject(
          new Error(
            `serve's first line is not JSON: ${stdout.slice(0, newline)} (${String(error)})`,
          ),
        );
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.on('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
