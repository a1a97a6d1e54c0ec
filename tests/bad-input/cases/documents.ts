/**
 * Hostile document sets: links that lead nowhere or to folders, FIFOs and devices, zip bombs,
 * files and sets over the size limits, binary data. Each is refused with exit 2 before a worker
 * starts, naming the file (docs/documents.md has the rules). Big inputs are made small on disk:
 * a sparse file, a .docx whose 300 MB of XML deflates to under 1 MB.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CliCase } from '../corpus.ts';
import { docxBomb } from '../../fixtures/documents/build.ts';
import { copyModel } from '../model-copy.ts';

const score = (model: string, data: string) => ['score', model, '--data', data, '--backend', 'cpu'];
const evalArgs = (model: string, forget: string, ...more: string[]) => [
  'eval',
  model,
  '--forget',
  forget,
  ...more,
  '--backend',
  'cpu',
];

/** `<dir>/forget/` holding one good document and the model beside it. */
function forgetFolder(dir: string): { model: string; forget: string } {
  const { model } = copyModel(dir);
  const forget = join(dir, 'forget');
  mkdirSync(forget, { recursive: true });
  writeFileSync(join(forget, 'a.txt'), 'Ada Lovelace lives at 12 Analytical Row.\n');
  return { model, forget };
}

export const DOCUMENT_CASES: CliCase[] = [
  {
    area: 'documents',
    name: 'a symlinked document is read, not skipped (here: a link to binary data)',
    setup: (dir) => {
      const { model, forget } = forgetFolder(dir);
      const target = join(dir, 'elsewhere.bin');
      writeFileSync(target, Buffer.from([0xff, 0xfe, 0x00, 0x81, 0xc3]));
      const link = join(forget, 'b.txt');
      symlinkSync(target, link);
      return { args: evalArgs(model, forget), mentions: [link, 'is not UTF-8 text'] };
    },
  },
  {
    area: 'documents',
    name: 'a symbolic link loop inside the forget folder',
    setup: (dir) => {
      const { model, forget } = forgetFolder(dir);
      const link = join(forget, 'loop.txt');
      symlinkSync('loop.txt', link);
      return { args: evalArgs(model, forget), mentions: [link, 'symbolic link loop'] };
    },
  },
  {
    area: 'documents',
    name: 'a symbolic link loop given as --data',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const link = join(dir, 'self.txt');
      symlinkSync('self.txt', link);
      return { args: score(model, link), mentions: [link, 'symbolic link loop'] };
    },
  },
  {
    area: 'documents',
    name: 'a dangling link in the forget folder',
    setup: (dir) => {
      const { model, forget } = forgetFolder(dir);
      const link = join(forget, 'b.txt');
      symlinkSync(join(dir, 'moved-away.txt'), link);
      return { args: evalArgs(model, forget), mentions: [link, 'which does not exist'] };
    },
  },
  {
    area: 'documents',
    name: 'a link to a folder in the forget folder',
    setup: (dir) => {
      const { model, forget } = forgetFolder(dir);
      mkdirSync(join(dir, 'more'));
      writeFileSync(join(dir, 'more', 'c.txt'), 'Grace Hopper\n');
      const link = join(forget, 'more');
      symlinkSync(join(dir, 'more'), link);
      return { args: evalArgs(model, forget), mentions: [link, 'is a link to a folder'] };
    },
  },
  {
    area: 'documents',
    name: 'a FIFO as --forget',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const fifo = join(dir, 'pipe');
      execFileSync('mkfifo', [fifo]);
      return {
        args: evalArgs(model, fifo),
        mentions: [fifo, 'is a FIFO (named pipe), not a file or folder'],
        withinSeconds: 30,
      };
    },
  },
  {
    area: 'documents',
    name: 'a FIFO named like a document inside the holdout folder',
    setup: (dir) => {
      const { model, forget } = forgetFolder(dir);
      const holdout = join(dir, 'holdout');
      mkdirSync(holdout);
      const fifo = join(holdout, 'people.jsonl');
      execFileSync('mkfifo', [fifo]);
      return {
        args: evalArgs(model, forget, '--holdout', holdout),
        mentions: [fifo, 'is a FIFO (named pipe), not a regular file'],
        withinSeconds: 30,
      };
    },
  },
  {
    area: 'documents',
    name: '/dev/null as --data',
    setup: (dir) => {
      const { model } = copyModel(dir);
      return {
        args: score(model, '/dev/null'),
        mentions: ['/dev/null', 'is a character device, not a file or folder'],
      };
    },
  },
  {
    area: 'documents',
    name: 'a .docx zip bomb: 0.9 MB unpacking to 300 MB of XML',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const bomb = join(dir, 'contract.docx');
      writeFileSync(bomb, docxBomb(300_000_000));
      return {
        args: evalArgs(model, bomb),
        mentions: [bomb, 'unpacks to 286 MiB', 'NEPENTHE_MAX_DOCUMENT_UNPACKED_BYTES'],
        withinSeconds: 20,
      };
    },
  },
  {
    area: 'documents',
    name: 'a .docx whose zip directory understates what its XML inflates to',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const bomb = join(dir, 'small-looking.docx');
      writeFileSync(bomb, docxBomb(100_000_000, 2048));
      return {
        args: evalArgs(model, bomb),
        mentions: [bomb, 'unpacks to more than the 2048 bytes its zip directory declares'],
        withinSeconds: 20,
      };
    },
  },
  {
    area: 'documents',
    name: 'a 200 MB text file (sparse) over the per-file limit',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const big = join(dir, 'dump.txt');
      writeFileSync(big, '');
      truncateSync(big, 200_000_000);
      return {
        args: score(model, big),
        mentions: [
          big,
          'over the 64 MiB limit for one document file',
          'NEPENTHE_MAX_DOCUMENT_BYTES',
        ],
        withinSeconds: 20,
      };
    },
  },
  {
    area: 'documents',
    name: 'a forget folder over the per-set limit',
    setup: (dir) => {
      const { model, forget } = forgetFolder(dir);
      writeFileSync(join(forget, 'b.txt'), 'Grace Hopper\n'.repeat(100));
      return {
        args: evalArgs(model, forget),
        env: { NEPENTHE_MAX_DOCUMENT_SET_BYTES: '1000' },
        mentions: [forget, 'over the 1000 bytes limit for one document set'],
      };
    },
  },
  {
    area: 'documents',
    name: 'a size limit that is not a byte count',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      return {
        args: score(model, doc),
        env: { NEPENTHE_MAX_DOCUMENT_BYTES: '64MB' },
        mentions: ['NEPENTHE_MAX_DOCUMENT_BYTES must be a positive byte count, got "64MB"'],
      };
    },
  },
  {
    area: 'documents',
    name: 'an empty forget folder',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const forget = join(dir, 'empty');
      mkdirSync(forget);
      return { args: evalArgs(model, forget), mentions: [forget, 'no documents in folder'] };
    },
  },
  {
    area: 'documents',
    name: 'binary garbage with a .md name',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const garbage = join(dir, 'notes.md');
      writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)));
      return { args: score(model, garbage), mentions: [garbage, 'is not UTF-8 text'] };
    },
  },
  {
    area: 'documents',
    name: 'an unsupported extension given as the file',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const image = join(dir, 'scan.png');
      writeFileSync(image, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      return { args: score(model, image), mentions: [image, 'unsupported document type ".png"'] };
    },
  },
  {
    area: 'documents',
    name: 'a symbolic link loop as --qa',
    setup: (dir) => {
      const { model, forget } = forgetFolder(dir);
      const link = join(dir, 'qa.jsonl');
      symlinkSync('qa.jsonl', link);
      return {
        args: evalArgs(model, forget, '--qa', link),
        mentions: [link, 'symbolic link loop'],
      };
    },
  },
  {
    area: 'documents',
    name: 'a FIFO as prune --calib (read in the worker), leaving no output',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const fifo = join(dir, 'calib.txt');
      execFileSync('mkfifo', [fifo]);
      const out = join(dir, 'pruned');
      return {
        args: [
          'prune',
          model,
          '--method',
          'wanda',
          '--sparsity',
          '0.5',
          '--calib',
          fifo,
          '--out',
          out,
          '--backend',
          'cpu',
        ],
        mentions: [fifo, 'is a FIFO (named pipe)'],
        withinSeconds: 60,
        after: () => expect(existsSync(out)).toBe(false),
      };
    },
  },
];
