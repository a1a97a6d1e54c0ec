/**
 * resources/tiny-gpt2 is what scripts/make-tiny-model.ts makes, byte for byte, and a loadable
 * Hugging Face GPT-2 folder with the initialization the script documents.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTinyModel, TINY_GPT2, TINY_GPT2_DIR } from '../../scripts/make-tiny-model.ts';
import { loadModelSpec } from '../../src/worker/model/config.ts';
import { Checkpoint } from '../../src/worker/model/safetensors/index.ts';
import { loadTokenizer } from '../../src/worker/model/tokenizer.ts';

const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];

function stats(data: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (const v of data) sum += v;
  const mean = sum / data.length;
  let squares = 0;
  for (const v of data) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / data.length) };
}

describe('resources/tiny-gpt2', () => {
  it('is exactly what the script makes, twice over, and under 1 MB', () => {
    const a = join(mkdtempSync(join(tmpdir(), 'nepenthe-tiny-')), 'tiny-gpt2');
    const b = join(mkdtempSync(join(tmpdir(), 'nepenthe-tiny-')), 'tiny-gpt2');
    makeTinyModel(a);
    makeTinyModel(b);
    expect(readdirSync(a).sort()).toEqual(FILES);
    expect(readdirSync(TINY_GPT2_DIR).sort()).toEqual(FILES);
    let total = 0;
    for (const name of FILES) {
      const shipped = readFileSync(join(TINY_GPT2_DIR, name));
      expect(readFileSync(join(a, name)).equals(readFileSync(join(b, name))), name).toBe(true);
      expect(
        readFileSync(join(a, name)).equals(shipped),
        `${name} is stale: run scripts/make-tiny-model.ts`,
      ).toBe(true);
      total += statSync(join(TINY_GPT2_DIR, name)).size;
    }
    expect(total).toBeLessThan(1024 * 1024);
  });

  it('has the GPT-2 config the script promises', () => {
    const spec = loadModelSpec(TINY_GPT2_DIR);
    expect(spec).toMatchObject({
      modelType: 'gpt2',
      vocabSize: TINY_GPT2.vocabSize,
      hidden: TINY_GPT2.nEmbd,
      layers: TINY_GPT2.nLayer,
      heads: TINY_GPT2.nHead,
      maxPositions: TINY_GPT2.nPositions,
      intermediate: 4 * TINY_GPT2.nEmbd,
      tieWordEmbeddings: true,
      bosTokenId: 511,
      eosTokenId: 511,
    });
  });

  it('has a tokenizer that matches the config and round-trips text', () => {
    const tokenizer = loadTokenizer(TINY_GPT2_DIR);
    expect(tokenizer.vocabSize).toBe(TINY_GPT2.vocabSize);
    expect(tokenizer.eosId).toBe(511);
    expect(tokenizer.addsBos).toBe(false);
    const text = 'The keeper of the lighthouse wrote 1,286 letters. Ünïcödé 🙂 too!';
    const ids = tokenizer.encode(text);
    expect(Math.max(...ids)).toBeLessThan(TINY_GPT2.vocabSize);
    expect(tokenizer.decode(ids)).toBe(text);
    // Trained on English prose, it needs far fewer tokens than bytes for English prose.
    const prose = 'The library holds the letters that the sailors wrote to their families.';
    expect(tokenizer.encode(prose).length).toBeLessThan(0.5 * prose.length);
  });

  it('holds every GPT-2 weight in HF names, Conv1D layout and the documented initialization', () => {
    const { nEmbd: C, nLayer, nPositions, vocabSize, initializerRange } = TINY_GPT2;
    const checkpoint = Checkpoint.open(TINY_GPT2_DIR);
    try {
      const shapes = Object.fromEntries(
        checkpoint.names.map((n) => [n, [...checkpoint.entry(n)!.shape]]),
      );
      const expected: Record<string, number[]> = {
        'transformer.wte.weight': [vocabSize, C],
        'transformer.wpe.weight': [nPositions, C],
        'transformer.ln_f.weight': [C],
        'transformer.ln_f.bias': [C],
      };
      for (let i = 0; i < nLayer; i++) {
        const p = `transformer.h.${i}.`;
        Object.assign(expected, {
          [`${p}ln_1.weight`]: [C],
          [`${p}ln_1.bias`]: [C],
          [`${p}attn.c_attn.weight`]: [C, 3 * C],
          [`${p}attn.c_attn.bias`]: [3 * C],
          [`${p}attn.c_proj.weight`]: [C, C],
          [`${p}attn.c_proj.bias`]: [C],
          [`${p}ln_2.weight`]: [C],
          [`${p}ln_2.bias`]: [C],
          [`${p}mlp.c_fc.weight`]: [C, 4 * C],
          [`${p}mlp.c_fc.bias`]: [4 * C],
          [`${p}mlp.c_proj.weight`]: [4 * C, C],
          [`${p}mlp.c_proj.bias`]: [C],
        });
      }
      expect(shapes).toEqual(expected);
      for (const name of checkpoint.names) expect(checkpoint.entry(name)!.dtype).toBe('F32');

      const wte = stats(checkpoint.readFloat32('transformer.wte.weight'));
      expect(Math.abs(wte.mean)).toBeLessThan(0.002);
      expect(wte.std).toBeGreaterThan(0.95 * initializerRange);
      expect(wte.std).toBeLessThan(1.05 * initializerRange);
      const proj = stats(checkpoint.readFloat32('transformer.h.0.mlp.c_proj.weight'));
      expect(proj.std / (initializerRange / Math.sqrt(2 * nLayer))).toBeCloseTo(1, 1);
      expect(new Set(checkpoint.readFloat32('transformer.h.1.ln_2.weight'))).toEqual(new Set([1]));
      expect(new Set(checkpoint.readFloat32('transformer.h.1.attn.c_attn.bias'))).toEqual(
        new Set([0]),
      );
    } finally {
      checkpoint.close();
    }
  });
});
