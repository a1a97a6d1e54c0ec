/**
 * Bad input through the real CLI: each case exits 2 with one line on stderr that names the file
 * and the problem, and no stack trace.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));

function copyModel(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'nepenthe-bad-')), 'model');
  cpSync(TINY, dir, { recursive: true });
  return dir;
}

/** Rewrites model.safetensors' header (keeping its data) via `edit`. */
function editHeader(
  dir: string,
  edit: (header: Record<string, { dtype: string; data_offsets: number[] }>) => void,
  declared?: (n: number) => number,
): string {
  const path = join(dir, 'model.safetensors');
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(declared ? declared(json.byteLength) : json.byteLength));
  writeFileSync(path, Buffer.concat([prefix, json, bytes.subarray(8 + n)]));
  return path;
}

async function expectBadInput(args: string[], ...fragments: string[]): Promise<void> {
  const { code, stderr, stdout } = await runCli(args);
  expect(code, stderr).toBe(2);
  expect(stdout).toBe('');
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('backend:') && !l.startsWith('loading '));
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

describe('nepenthe with bad input', () => {
  it('missing model folder', async () => {
    await expectBadInput(['inspect', '/nonexistent/model'], '/nonexistent/model', 'does not exist');
  });

  it('truncated safetensors', async () => {
    const dir = copyModel();
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, readFileSync(path).subarray(0, 4));
    await expectBadInput(['inspect', dir], path, 'truncated');
  });

  it('data section cut short', async () => {
    const dir = copyModel();
    const path = join(dir, 'model.safetensors');
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.byteLength - 100));
    await expectBadInput(['inspect', dir], path, 'beyond the data section');
  });

  it('header length beyond the file', async () => {
    const dir = copyModel();
    const path = editHeader(
      dir,
      () => {},
      () => 10 ** 12,
    );
    await expectBadInput(['inspect', dir], path, 'beyond the end of the file');
  });

  it('invalid header JSON', async () => {
    const dir = copyModel();
    const path = join(dir, 'model.safetensors');
    const bytes = readFileSync(path);
    bytes[8] = '['.charCodeAt(0) + 1; // '\\' instead of '{'
    writeFileSync(path, bytes);
    await expectBadInput(['inspect', dir], path, 'invalid safetensors header JSON');
  });

  it('offsets out of range', async () => {
    const dir = copyModel();
    const path = editHeader(dir, (h) => {
      h['transformer.ln_f.bias']!.data_offsets = [10 ** 9, 10 ** 9 + 256];
    });
    await expectBadInput(
      ['inspect', dir],
      path,
      'transformer.ln_f.bias',
      'beyond the data section',
    );
  });

  it('overlapping offsets', async () => {
    const dir = copyModel();
    const path = editHeader(dir, (h) => {
      h['transformer.ln_f.bias']!.data_offsets = h['transformer.ln_f.weight']!.data_offsets;
    });
    await expectBadInput(['inspect', dir], path, 'overlapping');
  });

  it('unknown dtype', async () => {
    const dir = copyModel();
    const path = editHeader(dir, (h) => {
      h['transformer.ln_f.bias']!.dtype = 'F24';
    });
    await expectBadInput(['inspect', dir], path, 'unknown dtype "F24"');
  });

  it('shape that disagrees with config.json', async () => {
    const dir = copyModel();
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ...config, n_positions: config.n_positions * 2 }),
    );
    await expectBadInput(['inspect', dir], 'wpe.weight', 'implies [256, 64]');
  });

  it('unknown architecture', async () => {
    const dir = copyModel();
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'bert' }));
    await expectBadInput(['inspect', dir], join(dir, 'config.json'), 'unknown architecture "bert"');
  });

  it('invalid config.json', async () => {
    const dir = copyModel();
    writeFileSync(join(dir, 'config.json'), '{"model_type": "gpt2", ');
    await expectBadInput(['inspect', dir], join(dir, 'config.json'), 'invalid JSON');
  });

  it('missing tokenizer.json', async () => {
    const dir = copyModel();
    rmSync(join(dir, 'tokenizer.json'));
    const data = join(dir, 'doc.txt');
    writeFileSync(data, 'hello');
    await expectBadInput(
      ['score', dir, '--data', data, '--backend', 'cpu'],
      join(dir, 'tokenizer.json'),
    );
  });

  it('invalid tokenizer.json', async () => {
    const dir = copyModel();
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    const data = join(dir, 'doc.txt');
    writeFileSync(data, 'hello');
    await expectBadInput(
      ['score', dir, '--data', data, '--backend', 'cpu'],
      join(dir, 'tokenizer.json'),
    );
  });

  it('unknown command, unknown option, unknown backend', async () => {
    await expectBadInput(['frobnicate'], 'unknown command "frobnicate"');
    await expectBadInput(['inspect', TINY, '--frob'], "'--frob'");
    await expectBadInput(['bench', '--backend', 'tpu'], 'unknown --backend "tpu"');
    await expectBadInput(['bench', '--shape', 'huge'], 'unknown --shape "huge"');
  });
});
