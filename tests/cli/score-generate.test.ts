/**
 * End to end through the real CLI: `nepenthe score` and `nepenthe generate` on real-format
 * checkpoints reproduce PyTorch.
 *
 *   tests/fixtures/score/llama-bpe   a tiny Llama 3-style model (GQA, llama3 RoPE scaling, untied
 *       head, BF16 weights in two shards + index) trained in PyTorch to memorize a few paragraphs,
 *       with a byte-level BPE whose post-processor adds <|begin_of_text|> (make-score-fixture.ts,
 *       then make_score_golden.py)
 *   resources/tiny-gpt2              the bundled random-init F32 GPT-2
 *
 * The reference (expected.json) is PyTorch in float64 on exactly the stored weights, fed the ids
 * our tokenizer produced when the fixture was made (ids.json). Checked: token ids exactly, every
 * log-prob within 2e-3 absolute, meanNll, and the greedy tokens exactly. docs/numerics.md records
 * the errors measured.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GenerateReport, ScoreReport } from '../../src/shared/contracts.ts';
import { runCli } from './run-cli.ts';

const fixture = (path: string) =>
  fileURLToPath(new URL(`../fixtures/score/${path}`, import.meta.url));
const LLAMA = fixture('llama-bpe');
const DOCS = fixture('docs');
const TINY_GPT2 = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));

/** Absolute tolerance on each log-prob (natural log). */
const TOLERANCE = 2e-3;

interface IdsDocument {
  readonly file: string;
  readonly ids: number[];
}
interface ExpectedDocument {
  readonly id: string;
  readonly tokenIds: number[];
  readonly logprobs: (number | null)[];
  readonly meanNll: number;
}
const ids = JSON.parse(readFileSync(fixture('ids.json'), 'utf8')) as {
  'llama-bpe': { bosId: number; documents: IdsDocument[]; prompt: string; promptIds: number[] };
  'tiny-gpt2': { documents: IdsDocument[] };
};
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as {
  'llama-bpe': {
    documents: ExpectedDocument[];
    generate: {
      promptIds: number[];
      maxNewTokens: number;
      tokenIds: number[];
      margins: number[];
      minMargin: number;
    };
  };
  'tiny-gpt2': { documents: ExpectedDocument[] };
};

const haveSwiftShader = [
  '/usr/lib/chromium',
  '/usr/lib64/chromium',
  '/usr/lib/chromium-browser',
].some((dir) => existsSync(`${dir}/vk_swiftshader_icd.json`));

interface Backend {
  readonly name: 'cpu' | 'wasm' | 'webgpu';
  readonly env: NodeJS.ProcessEnv;
  /**
   * New tokens to generate: on SwiftShader every decode step compiles new shaders (~1.2 s a
   * token), so webgpu checks a prefix of the greedy run (greedy's first k tokens do not depend on
   * how many follow).
   */
  readonly newTokens: number;
  readonly run: boolean;
}
const BACKENDS: Backend[] = [
  { name: 'cpu', env: {}, newTokens: expected['llama-bpe'].generate.maxNewTokens, run: true },
  { name: 'wasm', env: {}, newTokens: expected['llama-bpe'].generate.maxNewTokens, run: true },
  { name: 'webgpu', env: { NEPENTHE_SWIFTSHADER: '1' }, newTokens: 6, run: haveSwiftShader },
];

async function cli(args: string[], backend: Backend): Promise<unknown> {
  const { code, stdout, stderr } = await runCli(
    [...args, '--json', '--backend', backend.name],
    backend.env,
  );
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout);
}

/**
 * Checks `score --json` against PyTorch document by document; returns the largest absolute
 * log-prob error and the number of log-probs compared.
 */
function compareScores(
  actual: ScoreReport,
  reference: readonly ExpectedDocument[],
  tokenized: readonly IdsDocument[],
): { maxError: number; count: number } {
  expect(actual.documents.map((d) => d.id)).toEqual(tokenized.map((d) => `${d.file}#0`));
  expect(reference.map((d) => d.id)).toEqual(tokenized.map((d) => `${d.file}#0`));
  let maxError = 0;
  let count = 0;
  actual.documents.forEach((doc, i) => {
    const want = reference[i]!;
    // The ids our tokenizer made when the fixture was built, which PyTorch was evaluated on.
    expect(doc.tokenIds, doc.id).toEqual(tokenized[i]!.ids);
    expect(doc.tokenIds, doc.id).toEqual(want.tokenIds);
    expect(doc.logprobs).toHaveLength(doc.tokenIds.length);
    expect(doc.logprobs[0], doc.id).toBeNull();
    const values = doc.logprobs.slice(1);
    values.forEach((value, t) => {
      expect(value, `${doc.id} token ${t + 1}`).not.toBeNull();
      const error = Math.abs(value! - want.logprobs[t + 1]!);
      maxError = Math.max(maxError, error);
      if (!(error <= TOLERANCE)) {
        expect.fail(
          `${doc.id} token ${t + 1} (id ${doc.tokenIds[t + 1]}): log-prob ${value} vs PyTorch ${want.logprobs[t + 1]}, off by ${error.toExponential(2)} > ${TOLERANCE}`,
        );
      }
    });
    count += values.length;
    // meanNll is the mean of the reported log-probs, negated, and so close to PyTorch's.
    const mean = -values.reduce<number>((a, b) => a + b!, 0) / values.length;
    expect(doc.meanNll, doc.id).toBeCloseTo(mean, 9);
    expect(Math.abs(doc.meanNll! - want.meanNll), doc.id).toBeLessThanOrEqual(TOLERANCE);
  });
  return { maxError, count };
}

describe('the score/generate fixture', () => {
  it('frames every llama-bpe document with <|begin_of_text|>, and one is over 64 tokens', () => {
    const docs = ids['llama-bpe'].documents;
    for (const d of docs) expect(d.ids[0], d.file).toBe(ids['llama-bpe'].bosId);
    expect(Math.max(...docs.map((d) => d.ids.length))).toBeGreaterThan(64);
    expect(expected['llama-bpe'].generate.promptIds).toEqual(ids['llama-bpe'].promptIds);
  });

  it('has a greedy run that no float32 rounding can tip: every top-1/top-2 margin is large', () => {
    const { margins, minMargin, tokenIds, maxNewTokens } = expected['llama-bpe'].generate;
    expect(tokenIds).toHaveLength(maxNewTokens);
    expect(Math.min(...margins)).toBe(minMargin);
    expect(minMargin).toBeGreaterThan(1);
  });
});

describe.each(BACKENDS)('nepenthe on $name', (backend) => {
  it.skipIf(!backend.run)(
    'score: llama-bpe (BF16, 2 shards, BOS) log-probs match PyTorch',
    async () => {
      const report = ScoreReport.parse(await cli(['score', LLAMA, '--data', DOCS], backend));
      const { maxError, count } = compareScores(
        report,
        expected['llama-bpe'].documents,
        ids['llama-bpe'].documents,
      );
      console.log(
        `score llama-bpe --backend ${backend.name}: max |log-prob - PyTorch| = ${maxError.toExponential(2)} over ${count} tokens (tolerance ${TOLERANCE})`,
      );
    },
    300_000,
  );

  it.skipIf(!backend.run)(
    'generate: llama-bpe greedy tokens equal PyTorch greedy',
    async () => {
      const { prompt, promptIds } = ids['llama-bpe'];
      const report = GenerateReport.parse(
        await cli(
          ['generate', LLAMA, '--prompt', prompt, '--max-new-tokens', String(backend.newTokens)],
          backend,
        ),
      );
      expect(report.promptIds).toEqual(promptIds);
      expect(report.tokenIds).toEqual(
        expected['llama-bpe'].generate.tokenIds.slice(0, backend.newTokens),
      );
      console.log(
        `generate llama-bpe --backend ${backend.name}: ${report.tokenIds.length} greedy tokens equal PyTorch's (min margin ${expected['llama-bpe'].generate.minMargin.toFixed(2)})`,
      );
    },
    300_000,
  );
});

describe('nepenthe on wasm, bundled tiny-gpt2', () => {
  it('score: tiny-gpt2 (F32, no BOS) log-probs match PyTorch', async () => {
    const wasm = BACKENDS.find((b) => b.name === 'wasm')!;
    const report = ScoreReport.parse(await cli(['score', TINY_GPT2, '--data', DOCS], wasm));
    const { maxError, count } = compareScores(
      report,
      expected['tiny-gpt2'].documents,
      ids['tiny-gpt2'].documents,
    );
    console.log(
      `score tiny-gpt2 --backend wasm: max |log-prob - PyTorch| = ${maxError.toExponential(2)} over ${count} tokens (tolerance ${TOLERANCE})`,
    );
  }, 300_000);
});
