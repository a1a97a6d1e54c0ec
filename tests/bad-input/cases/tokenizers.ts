/** Broken tokenizers: missing, not JSON, ids beyond the model's vocabulary. */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CliCase } from '../corpus.ts';
import { copyModel } from '../model-copy.ts';

const score = (model: string, doc: string) => ['score', model, '--data', doc, '--backend', 'cpu'];

/**
 * Adds `<|secret|>` as an added token with id 4000 to the copy's tokenizer.json (the tiny model
 * has 512 embedding rows) and writes a document that contains it; returns both files.
 */
function tokenBeyondVocab(model: string, doc: string): { tokenizer: string; config: string } {
  const tokenizer = join(model, 'tokenizer.json');
  const json = JSON.parse(readFileSync(tokenizer, 'utf8')) as { added_tokens: object[] };
  json.added_tokens.push({
    id: 4000,
    content: '<|secret|>',
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  writeFileSync(tokenizer, JSON.stringify(json));
  writeFileSync(doc, 'hello <|secret|> world\n');
  return { tokenizer, config: join(model, 'config.json') };
}

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
  {
    area: 'tokenizers',
    name: 'token ids beyond vocab_size: score',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const { tokenizer, config } = tokenBeyondVocab(model, doc);
      return { args: score(model, doc), mentions: [tokenizer, config, 'vocab_size 512', '4000'] };
    },
  },
  {
    area: 'tokenizers',
    name: 'token ids beyond vocab_size: eval',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const { tokenizer, config } = tokenBeyondVocab(model, doc);
      return {
        args: ['eval', model, '--forget', doc, '--backend', 'cpu'],
        mentions: [tokenizer, config, 'vocab_size 512'],
      };
    },
  },
  {
    area: 'tokenizers',
    name: 'token ids beyond vocab_size: unlearn',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const { tokenizer, config } = tokenBeyondVocab(model, doc);
      const out = join(dir, 'out');
      return {
        args: [
          'unlearn',
          model,
          '--forget',
          doc,
          '--method',
          'ga',
          '--out',
          out,
          '--backend',
          'cpu',
        ],
        mentions: [tokenizer, config],
        after: () => expect(existsSync(join(dir, '.out.partial'))).toBe(false),
      };
    },
  },
];
