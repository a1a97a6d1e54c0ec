import { readUnlearnInputs } from './src/worker/tasks/unlearn.ts';
import { memoryNeed } from './src/worker/tasks/preflight.ts';
import { loadModelSpec } from './src/worker/model/config.ts';
const cases: [string, string, number][] = [
  ['/tmp/rs/smollm2-135m', 'graddiff', 4657128], ['/tmp/rs/smollm2-135m', 'bounded', 3091628],
  ['/tmp/rs/qwen2.5-0.5b', 'graddiff', 10.79 * 2 ** 20], ['/tmp/rs/qwen2.5-0.5b', 'bounded', 5.49 * 2 ** 20],
  ['/tmp/rs/llama3.2-1b', 'bounded', 10.92 * 2 ** 20],
];
for (const [model, method, kib] of cases) {
  const inputs = await readUnlearnInputs({ model, forget: '/tmp/rs/forget.jsonl', retain: '/tmp/rs/retain.jsonl', method, config: '/tmp/rs/config.json', out: `/tmp/est-${Math.random()}`, seed: 0 } as never);
  const longest = Math.max(...[...inputs.forget, ...inputs.retain].map((s) => s.ids.length));
  const need = memoryNeed(loadModelSpec(model), method, inputs.config, longest, true);
  const measured = kib * 1024;
  console.log(model.split('/').at(-1), method, 'longest', longest, 'estimate', (need.bytes / 2 ** 30).toFixed(2), 'measured', (measured / 2 ** 30).toFixed(2), 'ratio', (need.bytes / measured).toFixed(3));
}
