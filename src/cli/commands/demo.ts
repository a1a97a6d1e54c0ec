import { fileURLToPath } from 'node:url';
import { readDocuments } from '../../worker/data/documents.ts';
import { inspectModel } from '../../worker/tasks/inspect.ts';
import { scoreDocuments } from '../../worker/tasks/score.ts';
import type { Command } from '../command.ts';
import { loadModelAndTokenizer, startEngine } from '../engine.ts';

const RESOURCES = fileURLToPath(new URL('../../../resources/', import.meta.url));
export const DEMO_MODEL = `${RESOURCES}tiny-gpt2`;
export const DEMO_TEXT = `${RESOURCES}demo/sample.txt`;

/**
 * The bundled walk-through. Until the full audit pipeline lands, it inspects the bundled tiny
 * model and scores a sample document with it.
 */
export const demo: Command = {
  name: 'demo',
  usage: 'demo',
  summary: 'inspect the bundled tiny model and score a sample document with it',
  options: {},
  positionals: 0,
  async run({ global, progress, print }) {
    const info = await inspectModel(DEMO_MODEL);
    await startEngine(global, progress);
    const { model, tokenizer } = await loadModelAndTokenizer(DEMO_MODEL, progress);
    try {
      const [scored] = await scoreDocuments(model, tokenizer, await readDocuments(DEMO_TEXT));
      print(
        { model: info, score: scored },
        `model: ${info.architecture}, ${info.parameters.toLocaleString('en-US')} parameters, sha256 ${info.sha256.slice(0, 16)}…\n` +
          `sample: ${scored!.tokenIds.length} tokens, mean NLL ${scored!.meanNll?.toFixed(4)} nats/token`,
      );
    } finally {
      model.dispose();
    }
  },
};
