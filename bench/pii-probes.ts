/**
 * Cost of the multi-prompt PII probes on the testbed (docs/metrics.md "Stronger PII probes"):
 * `piiLeakage` as the eval ran it before (forget10 only, true prefix only) against now (forget10
 * + holdout pooled as the pii family does, every prompt), and the true prefix alone over both
 * sets; wasm backend, each timed `--repeats` times after one untimed warm-up.
 *
 *   node --import tsx bench/pii-probes.ts [--model model|reference] [--repeats 3]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { loadModel } from '../src/worker/model/load.ts';
import { loadTokenizer } from '../src/worker/model/tokenizer.ts';
import { piiLeakage } from '../src/worker/metrics/pii-leak.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'model' },
    repeats: { type: 'string', default: '3' },
  },
});
const testbed = (p: string) => fileURLToPath(new URL(`../resources/testbed/${p}`, import.meta.url));
const read = (sets: string[]) =>
  sets.flatMap((set) =>
    readFileSync(testbed(`corpus/${set}.jsonl`), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (JSON.parse(line) as { text: string }).text),
  );
const forget = read(['forget10']);
const both = read(['forget10', 'holdout']);

await selectBackend('wasm');
const folder = testbed(values.model);
const { model } = loadModel(folder);
const tokenizer = loadTokenizer(folder);
const repeats = Number(values.repeats);
const cases = [
  { label: 'before: forget, true prefix', texts: forget, truePrefixOnly: true },
  { label: 'forget + holdout, true prefix', texts: both, truePrefixOnly: true },
  { label: 'now: forget + holdout, all prompts', texts: both, truePrefixOnly: false },
];
for (const { label, texts, truePrefixOnly } of cases) {
  await piiLeakage(model, tokenizer, texts, { truePrefixOnly });
  const times: number[] = [];
  let prompts = 0;
  for (let r = 0; r < repeats; r++) {
    const started = performance.now();
    const result = await piiLeakage(model, tokenizer, texts, { truePrefixOnly });
    times.push((performance.now() - started) / 1000);
    prompts = result.prompts;
  }
  console.log(
    JSON.stringify({
      model: values.model,
      case: label,
      documents: texts.length,
      prompts,
      seconds: times.map((t) => Number(t.toFixed(3))),
      load: loadavg()[0]!.toFixed(2),
    }),
  );
}
