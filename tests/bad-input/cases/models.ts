/** Broken model folders: missing, truncated, lying headers, shapes and configs that disagree. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliCase } from '../corpus.ts';
import { copyModel, editHeader } from '../model-copy.ts';

const inspect = (model: string) => ['inspect', model];

export const MODEL_CASES: CliCase[] = [
  {
    area: 'models',
    name: 'missing model folder',
    setup: (dir) => ({
      args: inspect(join(dir, 'nonexistent')),
      mentions: [join(dir, 'nonexistent'), 'does not exist'],
    }),
  },
  {
    area: 'models',
    name: 'truncated safetensors',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const path = join(model, 'model.safetensors');
      writeFileSync(path, readFileSync(path).subarray(0, 4));
      return { args: inspect(model), mentions: [path, 'truncated'] };
    },
  },
  {
    area: 'models',
    name: 'data section cut short',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const path = join(model, 'model.safetensors');
      const bytes = readFileSync(path);
      writeFileSync(path, bytes.subarray(0, bytes.byteLength - 100));
      return { args: inspect(model), mentions: [path, 'beyond the data section'] };
    },
  },
  {
    area: 'models',
    name: 'header length beyond the file',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const path = editHeader(
        model,
        () => {},
        () => 10 ** 12,
      );
      return { args: inspect(model), mentions: [path, 'beyond the end of the file'] };
    },
  },
  {
    area: 'models',
    name: 'invalid header JSON',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const path = join(model, 'model.safetensors');
      const bytes = readFileSync(path);
      bytes[8] = '['.charCodeAt(0) + 1; // '\\' instead of '{'
      writeFileSync(path, bytes);
      return { args: inspect(model), mentions: [path, 'invalid safetensors header JSON'] };
    },
  },
  {
    area: 'models',
    name: 'offsets out of range',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const path = editHeader(model, (h) => {
        h['transformer.ln_f.bias']!.data_offsets = [10 ** 9, 10 ** 9 + 256];
      });
      return {
        args: inspect(model),
        mentions: [path, 'transformer.ln_f.bias', 'beyond the data section'],
      };
    },
  },
  {
    area: 'models',
    name: 'overlapping offsets',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const path = editHeader(model, (h) => {
        h['transformer.ln_f.bias']!.data_offsets = h['transformer.ln_f.weight']!.data_offsets;
      });
      return { args: inspect(model), mentions: [path, 'overlapping'] };
    },
  },
  {
    area: 'models',
    name: 'unknown dtype',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const path = editHeader(model, (h) => {
        h['transformer.ln_f.bias']!.dtype = 'F24';
      });
      return { args: inspect(model), mentions: [path, 'unknown dtype "F24"'] };
    },
  },
  {
    area: 'models',
    name: 'shape that disagrees with config.json',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
      writeFileSync(
        join(model, 'config.json'),
        JSON.stringify({ ...config, n_positions: config.n_positions * 2 }),
      );
      return { args: inspect(model), mentions: ['wpe.weight', 'implies [256, 64]'] };
    },
  },
  {
    area: 'models',
    name: 'unknown architecture',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
      writeFileSync(join(model, 'config.json'), JSON.stringify({ ...config, model_type: 'bert' }));
      return {
        args: inspect(model),
        mentions: [join(model, 'config.json'), 'unknown architecture "bert"'],
      };
    },
  },
  {
    area: 'models',
    name: 'invalid config.json',
    setup: (dir) => {
      const { model } = copyModel(dir);
      writeFileSync(join(model, 'config.json'), '{"model_type": "gpt2", ');
      return { args: inspect(model), mentions: [join(model, 'config.json'), 'invalid JSON'] };
    },
  },
];
