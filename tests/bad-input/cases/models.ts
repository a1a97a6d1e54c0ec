/**
 * Broken model folders: missing, truncated, lying headers, shapes and configs that disagree,
 * NaN and Inf weights (in each command that loads them), a folder where a weights file belongs.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { expect } from 'vitest';
import { lockPath } from '../../../src/worker/tasks/output-target.ts';
import type { CliCase } from '../corpus.ts';
import { copyModel, editHeader, setElement, storeAs } from '../model-copy.ts';

const inspect = (model: string) => ['inspect', model];
const cpu = ['--backend', 'cpu'];

/** After a refused `--out` run: neither the output nor its staging folder exists. */
const leftNothing = (out: string) => () => {
  expect(existsSync(out), out).toBe(false);
  expect(existsSync(join(dirname(out), `.${basename(out)}.partial`)), 'staging folder').toBe(false);
};

/** The commands that load weights, each with a NaN or an Inf somewhere in the checkpoint. */
const NON_FINITE_CASES: CliCase[] = [
  {
    area: 'models',
    name: 'NaN weight: inspect',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const path = setElement(model, 'transformer.ln_f.weight', NaN, 3);
      return { args: inspect(model), mentions: [path, '"transformer.ln_f.weight"', 'NaN'] };
    },
  },
  {
    area: 'models',
    name: 'NaN weight: score',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const path = setElement(model, 'transformer.h.0.attn.c_attn.weight', NaN, 100);
      return {
        args: ['score', model, '--data', doc, ...cpu],
        mentions: [path, '"transformer.h.0.attn.c_attn.weight"', 'element 100'],
      };
    },
  },
  {
    area: 'models',
    name: 'NaN weight: generate',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const path = setElement(model, 'transformer.wte.weight', NaN);
      return {
        args: ['generate', model, '--prompt', 'hello', ...cpu],
        mentions: [path, '"transformer.wte.weight"'],
      };
    },
  },
  {
    area: 'models',
    name: 'NaN weight: eval',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const path = setElement(model, 'transformer.h.1.mlp.c_fc.weight', NaN);
      return {
        args: ['eval', model, '--forget', doc, ...cpu],
        mentions: [path, '"transformer.h.1.mlp.c_fc.weight"'],
      };
    },
  },
  {
    area: 'models',
    name: 'NaN weight: unlearn leaves nothing behind',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const path = setElement(model, 'transformer.h.1.ln_2.bias', NaN);
      const out = join(dir, 'out');
      return {
        args: ['unlearn', model, '--forget', doc, '--method', 'ga', '--out', out, ...cpu],
        mentions: [path, '"transformer.h.1.ln_2.bias"'],
        after: leftNothing(out),
      };
    },
  },
  {
    area: 'models',
    name: 'NaN weight: audit leaves no run folder and no ledger entry',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const path = setElement(model, 'transformer.h.0.mlp.c_proj.weight', NaN, 5);
      const out = join(dir, 'run');
      const ledger = join(dir, 'ledger.jsonl');
      const audit = ['audit', '--model', model, '--forget', doc, '--method', 'ga', '--out', out];
      return {
        args: [...audit, '--ledger', ledger, ...cpu],
        mentions: [path, '"transformer.h.0.mlp.c_proj.weight"', 'NaN'],
        // A signing identity is at hand, so only the weights can stop the run.
        env: { NEPENTHE_KEY_PASSPHRASE: 'audit', XDG_CONFIG_HOME: join(dir, 'config') },
        after: () => {
          leftNothing(out)();
          expect(existsSync(lockPath(out)), 'lock file').toBe(false);
          expect(existsSync(ledger), ledger).toBe(false);
        },
      };
    },
  },
  {
    area: 'models',
    name: 'Inf weight in an F16 checkpoint: score',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      storeAs(model, 'F16');
      const path = setElement(model, 'transformer.wpe.weight', Infinity, 7);
      return {
        args: ['score', model, '--data', doc, ...cpu],
        mentions: [path, '"transformer.wpe.weight"', 'element 7'],
      };
    },
  },
  {
    area: 'models',
    name: 'Inf weight in a BF16 checkpoint: generate',
    setup: (dir) => {
      const { model } = copyModel(dir);
      storeAs(model, 'BF16');
      const path = setElement(model, 'transformer.h.0.attn.c_proj.weight', -Infinity, 9);
      return {
        args: ['generate', model, '--prompt', 'hello', ...cpu],
        mentions: [path, '"transformer.h.0.attn.c_proj.weight"', 'element 9'],
      };
    },
  },
  {
    area: 'models',
    name: 'training that diverges (loss becomes NaN)',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      writeFileSync(doc, 'The quick brown fox jumps over the lazy dog, again and again.\n');
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ lr: 1e30, epochs: 3 }));
      const out = join(dir, 'out');
      return {
        args: [
          'unlearn',
          model,
          '--forget',
          doc,
          '--method',
          'ga',
          '--config',
          config,
          '--out',
          out,
          ...cpu,
        ],
        mentions: ['training diverged at step', 'the loss is NaN', '"lr"'],
        exitCode: 1,
        after: leftNothing(out),
      };
    },
  },
];

/** Files and folders swapped: a folder where the weights belong, a shard the index names but lacks. */
const LAYOUT_CASES: CliCase[] = [
  {
    area: 'models',
    name: 'model.safetensors that is a folder',
    setup: (dir) => {
      const { model, doc } = copyModel(dir);
      const path = join(model, 'model.safetensors');
      rmSync(path);
      mkdirSync(path);
      return { args: ['score', model, '--data', doc, ...cpu], mentions: [path, 'is a folder'] };
    },
  },
  {
    area: 'models',
    name: 'shard index naming a missing shard',
    setup: (dir) => {
      const { model } = copyModel(dir);
      const bytes = readFileSync(join(model, 'model.safetensors'));
      const n = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as object;
      const first = 'model-00001-of-00002.safetensors';
      const second = 'model-00002-of-00002.safetensors';
      renameSync(join(model, 'model.safetensors'), join(model, first));
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      const weightMap = Object.fromEntries(names.map((n, i) => [n, i === 0 ? second : first]));
      const index = join(model, 'model.safetensors.index.json');
      writeFileSync(index, JSON.stringify({ metadata: {}, weight_map: weightMap }));
      return { args: inspect(model), mentions: [index, second, 'missing'] };
    },
  },
];

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
  ...NON_FINITE_CASES,
  ...LAYOUT_CASES,
];
