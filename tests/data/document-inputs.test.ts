/**
 * What a document path may be besides a plain file or folder (issue 17 items 2, 6 and 7):
 * symbolic links, FIFOs and devices, and inputs too large to read; each is read as stated in
 * docs/documents.md or refused naming the file, never skipped in silence.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/shared/errors.ts';
import { listDocumentFiles, readDocuments, readQaPairs } from '../../src/worker/data/documents.ts';
import { DEFAULT_DOCUMENT_LIMITS, documentLimits } from '../../src/worker/data/limits.ts';
import { docxBomb, minimalDocx } from '../fixtures/documents/build.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-inputs-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

async function inputError(read: Promise<unknown>): Promise<string> {
  const error: unknown = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserInputError);
  return (error as UserInputError).message;
}

describe('symbolic links in a document folder', () => {
  it('reads a link to a regular file under the link’s own name', async () => {
    write('elsewhere/person.txt', 'Ada Lovelace, ada@example.org');
    write('forget/a.txt', 'first');
    symlinkSync(join(dir, 'elsewhere/person.txt'), join(dir, 'forget/b.txt'));
    expect(await readDocuments(join(dir, 'forget'))).toEqual([
      { id: 'a.txt', text: 'first' },
      { id: 'b.txt', text: 'Ada Lovelace, ada@example.org' },
    ]);
    const listed = await listDocumentFiles(join(dir, 'forget'));
    expect(listed.map((f) => [f.id, f.bytes])).toEqual([
      ['a.txt', 5],
      ['b.txt', 29],
    ]);
  });

  it('refuses a link to a folder, naming the link and its target', async () => {
    write('forget/a.txt', 'first');
    write('more/b.txt', 'second');
    symlinkSync(join(dir, 'more'), join(dir, 'forget/more'));
    const message = await inputError(readDocuments(join(dir, 'forget')));
    expect(message).toContain(join(dir, 'forget/more'));
    expect(message).toContain('is a link to a folder');
  });

  it('refuses a dangling link, naming it and where it points', async () => {
    write('forget/a.txt', 'first');
    symlinkSync(join(dir, 'gone.txt'), join(dir, 'forget/b.txt'));
    const message = await inputError(readDocuments(join(dir, 'forget')));
    expect(message).toContain(
      `${join(dir, 'forget/b.txt')}: is a link to ${join(dir, 'gone.txt')}`,
    );
    expect(message).toContain('does not exist');
  });

  it('refuses a link loop inside a folder and as the path itself', async () => {
    write('forget/a.txt', 'first');
    symlinkSync('loop.txt', join(dir, 'forget/loop.txt'));
    const inside = await inputError(readDocuments(join(dir, 'forget')));
    expect(inside).toContain(`${join(dir, 'forget/loop.txt')}: is a symbolic link loop`);
    const itself = await inputError(readDocuments(join(dir, 'forget/loop.txt')));
    expect(itself).toContain('symbolic link loop');
    expect(itself).not.toContain('no such file');
  });
});

describe('FIFOs and devices', () => {
  it('refuses a FIFO or a device given as the path, saying what it is', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(await inputError(readDocuments(fifo))).toBe(
      `${fifo}: is a FIFO (named pipe), not a file or folder; give a document file or a folder of them`,
    );
    expect(await inputError(readDocuments('/dev/null'))).toContain(
      '/dev/null: is a character device, not a file or folder',
    );
    expect(await inputError(readQaPairs(fifo))).toContain('is a FIFO');
  });

  it('refuses a FIFO with a document’s name inside a folder; skips one with another name', async () => {
    write('forget/a.txt', 'first');
    execFileSync('mkfifo', [join(dir, 'forget/other.sock')]);
    expect(await readDocuments(join(dir, 'forget'))).toEqual([{ id: 'a.txt', text: 'first' }]);
    execFileSync('mkfifo', [join(dir, 'forget/b.txt')]);
    expect(await inputError(readDocuments(join(dir, 'forget')))).toContain(
      `${join(dir, 'forget/b.txt')}: is a FIFO (named pipe), not a regular file`,
    );
  });
});

describe('size limits, checked before reading', () => {
  it('refuses a file over the per-file limit from its size alone (a sparse 200 MB file)', async () => {
    const big = write('big.txt', '');
    truncateSync(big, 200_000_000); // sparse: no 200 MB is written or read
    const started = Date.now();
    const message = await inputError(readDocuments(big));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(message).toBe(
      `${big}: is 191 MiB, over the 64 MiB limit for one document file; split it into smaller ` +
        'files or raise NEPENTHE_MAX_DOCUMENT_BYTES (bytes)',
    );
  });

  it('refuses a set over the per-set limit before reading any of it', async () => {
    for (const name of ['a.txt', 'b.txt', 'c.txt']) write(`set/${name}`, 'x'.repeat(400));
    const limits = { ...DEFAULT_DOCUMENT_LIMITS, setBytes: 1000 };
    const message = await inputError(readDocuments(join(dir, 'set'), { limits }));
    expect(message).toContain(
      `${join(dir, 'set')}: its documents total 1.2 KiB, over the 1000 bytes`,
    );
    expect(message).toContain('NEPENTHE_MAX_DOCUMENT_SET_BYTES');
  });

  it('refuses a .docx whose zip directory declares 300 MB of XML, without unpacking it', async () => {
    const bomb = write('bomb.docx', docxBomb(300_000_000));
    expect(bomb.length).toBeLessThan(2_000_000);
    const started = Date.now();
    const message = await inputError(readDocuments(bomb));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(message).toContain(`${bomb}: unpacks to 286 MiB, over the 8 MiB limit`);
    expect(message).toContain('NEPENTHE_MAX_DOCUMENT_UNPACKED_BYTES');
  });

  it('refuses a .docx that declares a small part but inflates to more', async () => {
    const bomb = write('liar.docx', docxBomb(50_000_000, 4096));
    const message = await inputError(readDocuments(bomb));
    expect(message).toContain(
      `${bomb}: its part word/document.xml unpacks to more than the 4096 bytes its zip directory declares`,
    );
  });

  it('still reads an ordinary .docx, and a small bomb within raised limits', async () => {
    const docx = write('ok.docx', minimalDocx(['Grace Hopper']));
    expect(await readDocuments(docx)).toEqual([{ id: 'ok.docx', text: 'Grace Hopper' }]);
    const small = write('small.docx', docxBomb(2_000_000));
    const limits = { ...DEFAULT_DOCUMENT_LIMITS, unpackedBytes: 1_000_000 };
    expect(await inputError(readDocuments(small, { limits }))).toContain('unpacks to');
  });

  it('takes the limits from the environment, refusing a value that is not a byte count', () => {
    expect(documentLimits({})).toEqual(DEFAULT_DOCUMENT_LIMITS);
    expect(
      documentLimits({
        NEPENTHE_MAX_DOCUMENT_BYTES: '100',
        NEPENTHE_MAX_DOCUMENT_SET_BYTES: '200',
        NEPENTHE_MAX_DOCUMENT_UNPACKED_BYTES: '300',
      }),
    ).toEqual({ fileBytes: 100, setBytes: 200, unpackedBytes: 300 });
    expect(() => documentLimits({ NEPENTHE_MAX_DOCUMENT_BYTES: '10MB' })).toThrow(
      'NEPENTHE_MAX_DOCUMENT_BYTES must be a positive byte count, got "10MB"',
    );
  });

  it('reports progress file by file', async () => {
    write('set/a.txt', 'one');
    write('set/b.txt', 'two');
    const seen: string[] = [];
    await readDocuments(join(dir, 'set'), {
      onProgress: (label, done, total) => seen.push(`${label} ${done}/${total}`),
    });
    expect(seen).toEqual([
      'loading documents 0/2',
      'loading documents 1/2',
      'loading documents 2/2',
    ]);
  });
});
