/**
 * Hostile document paths given to `serve`'s documents.describe and documents.preview: a FIFO,
 * a device, a symbolic link loop, a zip bomb, a folder holding a symlinked document. Describe
 * answers each file with its own one-line error (the call itself succeeds: the officer sees
 * which file is at fault); preview answers with a bad-input error. Neither ever blocks on a
 * FIFO or reads what it would then refuse.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ServeCase, ServeClient } from '../corpus.ts';
import { docxBomb } from '../../fixtures/documents/build.ts';
import { copyModel } from '../model-copy.ts';

interface DescribedFile {
  readonly path: string;
  readonly bytes: number;
  readonly documents: number;
  readonly error: string | null;
}

async function describe(serve: ServeClient, path: string): Promise<DescribedFile> {
  const answer = await serve.call('documents.describe', { paths: [path] });
  expect(answer.status).toBe(200);
  const body = JSON.parse(answer.body) as { ok: boolean; value: { files: DescribedFile[] } };
  expect(body.ok, answer.body).toBe(true);
  return body.value.files[0]!;
}

async function previewError(serve: ServeClient, path: string): Promise<string> {
  const answer = await serve.call('documents.preview', { path });
  const body = JSON.parse(answer.body) as { ok: boolean; error: { code: string; message: string } };
  expect(body.ok, answer.body).toBe(false);
  expect(body.error.code).toBe('bad-input');
  expect(body.error.message.split('\n')).toHaveLength(1);
  return body.error.message;
}

export const SERVE_DOCUMENT_CASES: ServeCase[] = [
  {
    area: 'serve',
    name: 'documents.describe and documents.preview of a FIFO',
    async run(serve, dir) {
      const fifo = join(dir, 'pipe');
      execFileSync('mkfifo', [fifo]);
      const file = await describe(serve, fifo);
      expect(file.error).toBe(
        `${fifo}: is a FIFO (named pipe), not a file or folder; give a document file or a folder of them`,
      );
      expect(await previewError(serve, fifo)).toContain(`${fifo}: is a FIFO (named pipe)`);
    },
  },
  {
    area: 'serve',
    name: 'documents.preview of /dev/zero',
    async run(serve) {
      expect(await previewError(serve, '/dev/zero')).toContain(
        '/dev/zero: is a character device, not a file or folder',
      );
    },
  },
  {
    area: 'serve',
    name: 'documents.describe and documents.preview of a symbolic link loop',
    async run(serve, dir) {
      const link = join(dir, 'loop.txt');
      symlinkSync('loop.txt', link);
      const file = await describe(serve, link);
      expect(file.error).toContain(`${link}: is a symbolic link loop`);
      expect(file.error).not.toContain('no such file');
      expect(await previewError(serve, link)).toContain('symbolic link loop');
    },
  },
  {
    area: 'serve',
    name: 'documents.describe of a folder with a symlinked document counts what a run reads',
    async run(serve, dir) {
      const folder = join(dir, 'forget');
      mkdirSync(folder);
      writeFileSync(join(folder, 'a.txt'), 'Ada Lovelace\n');
      writeFileSync(join(dir, 'outside.bin'), Buffer.from([0xff, 0x00, 0xfe]));
      symlinkSync(join(dir, 'outside.bin'), join(folder, 'b.txt'));
      // The link is read like a file: here its binary content is refused, naming the link.
      const file = await describe(serve, folder);
      expect(file.error).toContain(`${join(folder, 'b.txt')}: is not UTF-8 text`);
    },
  },
  {
    area: 'serve',
    name: 'documents.describe and documents.preview of a .docx zip bomb',
    async run(serve, dir) {
      const bomb = join(dir, 'contract.docx');
      writeFileSync(bomb, docxBomb(300_000_000));
      const started = Date.now();
      const file = await describe(serve, bomb);
      expect(file.error).toContain(`${bomb}: unpacks to 286 MiB, over the 8 MiB limit`);
      expect(await previewError(serve, bomb)).toContain('unpacks to 286 MiB');
      expect(Date.now() - started).toBeLessThan(10_000);
    },
  },
  {
    area: 'serve',
    name: 'run.start with a FIFO among several forget files',
    async run(serve, dir) {
      const { model, doc } = copyModel(dir);
      const fifo = join(dir, 'people.txt');
      execFileSync('mkfifo', [fifo]);
      // Other cases share this serve (one starts a real run): only new input folders count.
      const inputs = join(serve.workspace, '.inputs');
      const listed = () => (existsSync(inputs) ? readdirSync(inputs) : []);
      const before = listed();
      const answer = await serve.call('run.start', { model, forget: [doc, fifo], method: 'ga' });
      const body = JSON.parse(answer.body) as {
        ok: boolean;
        error: { code: string; message: string };
      };
      expect(body.ok, answer.body).toBe(false);
      expect(body.error.code).toBe('bad-input');
      expect(body.error.message).toBe(
        `${fifo}: is a FIFO (named pipe), not a file or folder; give a document file or a folder of them`,
      );
      expect(listed().filter((name) => !before.includes(name))).toEqual([]);
    },
  },
];
