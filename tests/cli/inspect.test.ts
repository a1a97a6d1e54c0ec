import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InspectReport } from '../../src/shared/contracts.ts';
import { Checkpoint, writeCheckpoint } from '../../src/worker/model/safetensors/index.ts';
import { runCli } from './run-cli.ts';

const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));

describe('nepenthe inspect', () => {
  it('reports the contract fields, with sha256 of the weight file and GPT-2 parameter arithmetic', async () => {
    const { code, stdout, stderr } = await runCli(['inspect', TINY, '--json']);
    expect(code, stderr).toBe(0);
    const report = InspectReport.parse(JSON.parse(stdout));
    const config = JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8'));
    const C = config.n_embd;
    const perBlock =
      2 * C + (C * 3 * C + 3 * C) + (C * C + C) + 2 * C + (C * 4 * C + 4 * C) + (4 * C * C + C);
    const expected =
      config.vocab_size * C + config.n_positions * C + config.n_layer * perBlock + 2 * C;
    expect(report).toEqual({
      architecture: 'gpt2',
      parameters: expected,
      layers: config.n_layer,
      hidden: C,
      vocab: config.vocab_size,
      dtype: 'float32',
      sparsity: 0,
      sha256: createHash('sha256')
        .update(readFileSync(join(TINY, 'model.safetensors')))
        .digest('hex'),
    });
  });

  it("measures sparsity as the fraction of exact zeros in the blocks' linear weights, in BF16 too", async () => {
    const source = Checkpoint.open(TINY);
    let linear = 0;
    let zeroed = 0;
    const tensors = source.names.map((name) => {
      const data = source.readFloat32(name);
      const entry = source.entry(name)!;
      if (/\.h\.\d+\.(attn|mlp)\.c_\w+\.weight$/.test(name)) {
        linear += data.length;
        for (let i = 0; i < data.length; i += 3) data[i] = 0; // every third entry
        zeroed += Math.ceil(data.length / 3);
      } else if (name.endsWith('wte.weight')) {
        data.fill(0); // embeddings are not block linears: must not count
      }
      return { name, shape: [...entry.shape], data };
    });
    source.close();
    const dir = join(mkdtempSync(join(tmpdir(), 'nepenthe-sparse-')), 'model');
    cpSync(TINY, dir, { recursive: true });
    writeCheckpoint(dir, tensors, 'BF16');
    const { code, stdout, stderr } = await runCli(['inspect', dir, '--json']);
    expect(code, stderr).toBe(0);
    const report = InspectReport.parse(JSON.parse(stdout));
    expect(report.dtype).toBe('bfloat16');
    expect(report.sparsity).toBeCloseTo(zeroed / linear, 12);
  });
});
