/** Broken tokenizers: missing, not JSON. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliCase } from '../corpus.ts';
import { copyModel } from '../model-copy.ts';

const score = (model: string, doc: string) => ['score', model, '--data', doc, '--backend', 'cpu'];

export const TOKENIZER_CASES: CliCase[] = [
  {
    area: 'tokenizers',
    name: 'missing tokenizer.json',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      rmSync(join(model, 'tokenizer.json'));
      return { args: score(model, doc), mentions: [join(model, 'tokenizer.json')] };
    },
  },
  {
    area: 'tokenizers',
    name: 'invalid tokenizer.json',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      writeFileSync(join(model, 'tokenizer.json'), '{"model": ');
      return { args: score(model, doc), mentions: [join(model, 'tokenizer.json')] };
    },
  },
];
