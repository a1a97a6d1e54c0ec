/**
 * One electron-vite build per test run, shared by every test file under tests/build (vitest
 * runs files in parallel processes; two builds writing out/ at once would race). The first file
 * to ask builds; the others wait for its result. A run is keyed by the vitest process, the
 * parent of every test file's process under vitest.config.ts's `pool: 'forks'`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'node_modules/electron-vite/bin/electron-vite.js');

export interface BuildResult {
  readonly status: number | null;
  readonly output: string;
}

export async function buildOnce(): Promise<BuildResult> {
  const dir = join(tmpdir(), `nepenthe-electron-build-${process.ppid}`);
  const resultFile = join(dir, 'result.json');
  let owner = true;
  try {
    mkdirSync(dir);
  } catch {
    owner = false;
  }
  if (owner) {
    removeMarksOfEndedRuns();
    const run = spawnSync(process.execPath, [cli, 'build'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
    });
    const result: BuildResult = { status: run.status, output: `${run.stdout}\n${run.stderr}` };
    writeFileSync(resultFile, JSON.stringify(result));
    return result;
  }
  const deadline = Date.now() + 200_000;
  while (!existsSync(resultFile)) {
    if (Date.now() > deadline) throw new Error(`no electron-vite build result in ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return JSON.parse(readFileSync(resultFile, 'utf8')) as BuildResult;
}

const MARK = /^nepenthe-electron-build-(\d+)$/;

/** The marks of runs whose vitest process has exited. */
function removeMarksOfEndedRuns(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(MARK.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.ppid) continue;
    try {
      process.kill(pid, 0); // still running: leave it
    } catch {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

export const readBuilt = (file: string): string => readFileSync(join(root, file), 'utf8');
