/**
 * --out targets that cannot or must not receive a result (docs/outputs.md): each refused up
 * front with exit 2, before any model or document is read, and nothing there touched.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CliCase } from '../corpus.ts';
import { copyModel, TINY } from '../model-copy.ts';

const prune = (model: string, out: string) => [
  'prune',
  model,
  '--method',
  'magnitude',
  '--sparsity',
  '0.5',
  '--out',
  out,
];
const unlearn = (model: string, doc: string, out: string) => [
  'unlearn',
  model,
  '--forget',
  doc,
  '--method',
  'ga',
  '--out',
  out,
];

/** The folder's entries, for "left as it was". */
const untouched = (dir: string, entries: string[]) => () =>
  expect(readdirSync(dir).sort()).toEqual([...entries].sort());

/**
 * A read-only file system at `<dir>/ro`: a small tmpfs remounted read-only where mounting is
 * allowed (root ignores permission bits, so a chmod'ed folder would not stop it); elsewhere a
 * folder without write permission.
 */
function readOnlyFolder(dir: string): { folder: string; cleanup: () => void } {
  const folder = join(dir, 'ro');
  mkdirSync(folder);
  const mounted =
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', folder]).status === 0 &&
    spawnSync('mount', ['-o', 'remount,ro', folder]).status === 0;
  if (mounted) return { folder, cleanup: () => void spawnSync('umount', [folder]) };
  spawnSync('chmod', ['0555', folder]);
  return { folder, cleanup: () => void spawnSync('chmod', ['0755', folder]) };
}

export const OUTPUT_CASES: CliCase[] = [
  {
    area: 'outputs',
    name: 'unlearn --out on /proc (a recursive mkdir there spins forever)',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const out = '/proc/nepenthe-out';
      return {
        args: unlearn(model, doc, out),
        mentions: [out, 'cannot write in /proc'],
        withinSeconds: 30,
      };
    },
  },
  {
    area: 'outputs',
    name: 'prune --out on /sys',
    setup: () => ({
      args: prune(TINY, '/sys/nepenthe-out'),
      mentions: ['/sys/nepenthe-out', 'cannot write in /sys'],
      withinSeconds: 30,
    }),
  },
  {
    area: 'outputs',
    name: 'prune --out on a read-only file system',
    setup: (dir) => {
      const { folder, cleanup } = readOnlyFolder(dir);
      const out = join(folder, 'pruned');
      return {
        args: prune(TINY, out),
        mentions: [out, 'cannot write in', 'choose an --out on a writable disk'],
        withinSeconds: 30,
        after: () => {
          expect(readdirSync(folder)).toEqual([]);
          cleanup();
        },
      };
    },
  },
  {
    area: 'outputs',
    name: 'unlearn --out that is a file',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const out = join(dir, 'a-file');
      writeFileSync(out, 'mine');
      return {
        args: unlearn(model, doc, out),
        mentions: [out, 'is not a folder'],
        after: () => expect(readFileSync(out, 'utf8')).toBe('mine'),
      };
    },
  },
  {
    area: 'outputs',
    name: 'prune --out that is not empty',
    setup: (dir) => {
      const out = join(dir, 'pruned');
      mkdirSync(out);
      writeFileSync(join(out, 'keep.txt'), 'mine');
      return {
        args: prune(TINY, out),
        mentions: [out, 'not empty'],
        after: untouched(out, ['keep.txt']),
      };
    },
  },
  {
    area: 'outputs',
    name: 'unlearn --out locked by another live run',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const out = join(dir, 'unlearned');
      // A live process stands in for the other run; the corpus's own process would do, but a
      // child makes the owner plainly another process.
      const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], {
        stdio: 'ignore',
      });
      const lock = join(dir, '.unlearned.lock');
      writeFileSync(lock, `${other.pid}\n`);
      return {
        args: unlearn(model, doc, out),
        mentions: [out, `in use by another run (process ${other.pid}`],
        after: () => {
          other.kill('SIGKILL');
          expect(existsSync(out)).toBe(false);
          expect(readFileSync(lock, 'utf8')).toBe(`${other.pid}\n`); // not taken from its owner
        },
      };
    },
  },
  {
    area: 'outputs',
    name: 'prune --out inside the model folder it reads',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const out = join(model, 'pruned');
      const before = readdirSync(model);
      return {
        args: prune(model, out),
        mentions: [out, `is inside the input ${model}`],
        after: untouched(model, before),
      };
    },
  },
  {
    area: 'outputs',
    name: 'audit --out inside the forget folder',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const forget = join(dir, 'forget');
      mkdirSync(forget);
      writeFileSync(join(forget, 'person.txt'), 'Ada Quill lives at 4 Harbour Lane.\n');
      const out = join(forget, 'run');
      return {
        args: ['audit', '--model', model, '--forget', forget, '--method', 'ga', '--out', out],
        mentions: [out, `is inside the input ${forget}`],
        after: untouched(forget, ['person.txt']),
      };
    },
  },
  {
    area: 'outputs',
    name: '--out whose parent is a file',
    setup: (dir) => {
      const parent = join(dir, 'notes.txt');
      writeFileSync(parent, 'mine');
      const out = join(parent, 'pruned');
      return { args: prune(TINY, out), mentions: [out, `its parent ${parent} is not a folder`] };
    },
  },
  {
    area: 'outputs',
    name: 'demo --out on /proc',
    setup: () => ({
      args: ['demo', '--out', '/proc/nepenthe-demo'],
      mentions: ['/proc/nepenthe-demo', 'cannot write in /proc'],
      withinSeconds: 30,
    }),
  },
];
