/**
 * The publish rule (src/worker/tasks/output-target.ts): up-front refusals, the lock beside the
 * target, and a publish that never overwrites a target that changed during the run.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/shared/errors.ts';
import {
  checkOutputTarget,
  lockPath,
  OutputTarget,
  TargetChanged,
} from '../../src/worker/tasks/output-target.ts';

const scratches: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nepenthe-target-'));
  scratches.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

/** A finished result in the target's staging folder. */
function stage(target: OutputTarget): string {
  mkdirSync(target.staging);
  writeFileSync(join(target.staging, 'model.safetensors'), 'weights');
  return target.staging;
}

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserInputError);
    return (error as Error).message;
  }
  throw new Error('not refused');
};

describe('OutputTarget', () => {
  it('publishes into an absent or still-empty folder and drops its lock', () => {
    for (const precreate of [false, true]) {
      const dir = scratch();
      const out = join(dir, 'out');
      if (precreate) mkdirSync(out);
      const target = OutputTarget.claim(out, { kind: 'folder' });
      expect(existsSync(lockPath(out))).toBe(true);
      target.publish(stage(target));
      target.release();
      expect(readdirSync(dir)).toEqual(['out']);
      expect(readdirSync(out)).toEqual(['model.safetensors']);
    }
  });

  it('never overwrites a folder that was filled during the run; keeps the result', () => {
    const dir = scratch();
    const out = join(dir, 'out');
    mkdirSync(out);
    const target = OutputTarget.claim(out, { kind: 'folder' });
    const staged = stage(target);
    writeFileSync(join(out, 'mine.txt'), 'the user put this here');
    expect(() => target.publish(staged)).toThrow(TargetChanged);
    expect(() => target.publish(staged)).toThrow(staged);
    target.release();
    expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('the user put this here');
    expect(readdirSync(staged)).toEqual(['model.safetensors']);
  });

  it('a folder target that became a file is not replaced', () => {
    const dir = scratch();
    const out = join(dir, 'out');
    const target = OutputTarget.claim(out, { kind: 'folder' });
    const staged = stage(target);
    writeFileSync(out, 'a file now');
    expect(() => target.publish(staged)).toThrow(TargetChanged);
    target.release();
    expect(readFileSync(out, 'utf8')).toBe('a file now');
  });

  it('a file target that appeared during the run is not overwritten', () => {
    const dir = scratch();
    const out = join(dir, 'report.pdf');
    const target = OutputTarget.claim(out, { kind: 'file' });
    const temp = join(dir, '.report.pdf.tmp');
    writeFileSync(temp, 'signed');
    writeFileSync(out, 'someone else');
    expect(() => target.publish(temp)).toThrow(TargetChanged);
    target.release();
    expect(readFileSync(out, 'utf8')).toBe('someone else');
    expect(readFileSync(temp, 'utf8')).toBe('signed');
  });

  it('a replaceable file is replaced only if unchanged since the claim', () => {
    const dir = scratch();
    const out = join(dir, 'report.pdf');
    writeFileSync(out, 'old report');
    const target = OutputTarget.claim(out, { kind: 'file', existing: 'replace' });
    const temp = join(dir, '.report.pdf.tmp');
    writeFileSync(temp, 'new report');
    target.publish(temp);
    target.release();
    expect(readFileSync(out, 'utf8')).toBe('new report');

    const again = OutputTarget.claim(out, { kind: 'file', existing: 'replace' });
    writeFileSync(temp, 'newer report');
    writeFileSync(out, 'edited by hand, longer than before');
    expect(() => again.publish(temp)).toThrow(TargetChanged);
    again.release();
    expect(readFileSync(out, 'utf8')).toBe('edited by hand, longer than before');
  });

  it('a target locked by a live process is refused; a dead owner’s lock is taken over', async () => {
    const dir = scratch();
    const out = join(dir, 'out');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(lockPath(out), `${sleeper.pid}\n`);
      expect(refusal(() => checkOutputTarget(out, { kind: 'folder' }))).toMatch(
        new RegExp(`in use by another run \\(process ${sleeper.pid}`),
      );
      expect(refusal(() => OutputTarget.claim(out, { kind: 'folder' }))).toMatch(/in use/);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.on('close', resolve));
    }
    const target = OutputTarget.claim(out, { kind: 'folder' }); // its owner is dead now
    expect(readFileSync(lockPath(out), 'utf8')).toBe(`${process.pid}\n`);
    target.release();
    expect(existsSync(lockPath(out))).toBe(false);
  });

  it('refuses up front: non-empty, a file, inside an input, no parent, unwritable', () => {
    const dir = scratch();
    const full = join(dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine');
    expect(refusal(() => checkOutputTarget(full, { kind: 'folder' }))).toMatch(/not empty/);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(refusal(() => checkOutputTarget(file, { kind: 'folder' }))).toMatch(/not a folder/);
    expect(refusal(() => checkOutputTarget(file, { kind: 'file' }))).toMatch(/already exists/);
    expect(
      refusal(() => checkOutputTarget(join(full, 'sub'), { kind: 'folder', inputs: [full] })),
    ).toMatch(/inside the input/);
    expect(refusal(() => checkOutputTarget(join(dir, 'a', 'b'), { kind: 'folder' }))).toMatch(
      /parent folder .* does not exist/,
    );
    expect(refusal(() => checkOutputTarget(join(file, 'b'), { kind: 'folder' }))).toMatch(
      /is not a folder/,
    );
    expect(refusal(() => checkOutputTarget('/proc/nepenthe-x', { kind: 'folder' }))).toMatch(
      /cannot write in \/proc/,
    );
    expect(readdirSync(dir).sort()).toEqual(['file', 'full']);
  });
});
