/**
 * Bad signing inputs, given to `audit --sign` (checked before the run starts, so each case costs
 * no training): a missing file, a folder, a file that is no PKCS#12, a wrong passphrase, an
 * expired certificate, and no passphrase at all. And hostile reports given to `verify`: a signed
 * one whose attachment is a FlateDecode bomb, and a file larger than any report.
 */
import { existsSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createSelfSignedP12 } from '../../../src/main/signing/identity.ts';
import { MAX_PDF_BYTES } from '../../../src/main/signing/index.ts';
import { signedBombPdf } from '../../signing/helpers.ts';
import type { CliCase, CliExpectation } from '../corpus.ts';
import { copyModel } from '../model-copy.ts';

const PASSPHRASE = 'correct horse';

/** `audit` on a good tiny model and document, signed with `p12`; nothing may be left at --out. */
function audit(
  dir: string,
  p12: string,
  mentions: string[],
  passphrase = PASSPHRASE,
): CliExpectation {
  const { model, doc } = copyModel(dir);
  const out = join(dir, 'run');
  return {
    args: [
      'audit',
      '--model',
      model,
      '--forget',
      doc,
      '--method',
      'ga',
      '--out',
      out,
      '--sign',
      p12,
      '--backend',
      'cpu',
    ],
    mentions: [p12, ...mentions],
    env: { NEPENTHE_P12_PASSPHRASE: passphrase, XDG_CONFIG_HOME: join(dir, 'config') },
    after: () => expect(existsSync(out), out).toBe(false),
  };
}

function writeP12(dir: string, options: { validDays?: number } = {}): string {
  const path = join(dir, 'officer.p12');
  writeFileSync(
    path,
    createSelfSignedP12({ commonName: 'Officer', passphrase: PASSPHRASE, ...options }),
  );
  return path;
}

export const SIGNING_CASES: CliCase[] = [
  {
    area: 'signing',
    name: '--sign a file that does not exist',
    setup: (dir) => audit(dir, join(dir, 'missing.p12'), ['no such PKCS#12 file']),
  },
  {
    area: 'signing',
    name: '--sign a folder',
    setup: (dir) => {
      const folder = join(dir, 'certs');
      mkdirSync(folder);
      return audit(dir, folder, ['is a folder']);
    },
  },
  {
    area: 'signing',
    name: '--sign a file that is not PKCS#12 (a PEM certificate)',
    setup: (dir) => {
      const pem = join(dir, 'officer.pem');
      writeFileSync(
        pem,
        '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n',
      );
      return audit(dir, pem, ['not a readable PKCS#12 file']);
    },
  },
  {
    area: 'signing',
    name: '--sign with the wrong passphrase',
    setup: (dir) => audit(dir, writeP12(dir), ['wrong passphrase'], 'not the passphrase'),
  },
  {
    area: 'signing',
    name: '--sign with an expired certificate',
    setup: (dir) => audit(dir, writeP12(dir, { validDays: -1 }), ['the certificate expired on']),
  },
  {
    area: 'signing',
    name: '--sign with no passphrase and no terminal',
    setup: (dir) => {
      const expected = audit(dir, writeP12(dir), ['no passphrase', 'NEPENTHE_P12_PASSPHRASE']);
      return { ...expected, env: { ...expected.env, NEPENTHE_P12_PASSPHRASE: '' } };
    },
  },
  {
    area: 'signing',
    name: 'verify a signed report whose attachment is a FlateDecode bomb (2 MB to 2 GiB)',
    setup: async (dir) => {
      const pdf = join(dir, 'bomb.pdf');
      writeFileSync(pdf, await signedBombPdf());
      return {
        args: ['verify', pdf, '--ledger', join(dir, 'ledger.jsonl')],
        mentions: [pdf, 'metrics-after.json', 'inflates to more than 64 MiB'],
        withinSeconds: 10,
      };
    },
  },
  {
    area: 'signing',
    name: 'verify a file larger than any report (a sparse file just over the cap)',
    setup: (dir) => {
      const pdf = join(dir, 'huge.pdf');
      writeFileSync(pdf, '%PDF-1.7\n/ByteRange [0 10 20 30]\n');
      truncateSync(pdf, MAX_PDF_BYTES + 1);
      return { args: ['verify', pdf], mentions: [pdf, 'larger than', '64 MiB'], withinSeconds: 10 };
    },
  },
];
