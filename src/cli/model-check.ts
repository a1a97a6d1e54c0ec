/**
 * The checks of a model folder that need no engine (config.json, the safetensors headers and
 * shapes, the tokenizer), run in the CLI process so that a broken folder exits 2 at once,
 * before a worker starts. The worker checks the same when it loads the model.
 */
import { architectureFor } from '../worker/model/architectures/index.ts';
import { loadModelSpec } from '../worker/model/config.ts';
import { Checkpoint } from '../worker/model/safetensors/index.ts';
import { loadTokenizer } from '../worker/model/tokenizer.ts';
import { resolveKeys } from '../worker/model/weights.ts';

export function checkModelFolder(folder: string, options: { tokenizer?: boolean } = {}): void {
  const spec = loadModelSpec(folder);
  const checkpoint = Checkpoint.open(folder);
  try {
    const architecture = architectureFor(spec.family);
    resolveKeys(checkpoint, spec, architecture, architecture.parameters(spec));
  } finally {
    checkpoint.close();
  }
  if (options.tokenizer) loadTokenizer(folder, spec.vocabSize);
}
