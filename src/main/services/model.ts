/** `model.inspect` (what the model is, what a run will need, which method suits it) and `model.prune`. */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { ModelInfo } from '../../shared/app-api.ts';
import { loadModelSpec, mlpElementsPerLayer } from '../../worker/model/config.ts';
import { DEFAULT_CONFIG } from '../../worker/unlearn/config.ts';
import { METHODS } from '../../worker/unlearn/methods/index.ts';
import { ApiFailure, type Handlers } from '../ipc/dispatcher.ts';
import type { ServiceContext } from './context.ts';
import { estimateMemory, suggestMethod } from '../../shared/memory-estimate.ts';

type ModelHandlers = Pick<Handlers, 'model.inspect' | 'model.prune'>;

const GPU_BACKENDS = new Set(['webgpu', 'tensorflow']);

/** The model's attention heads and MLP size from its config.json, for the memory estimate. */
function modelShape(folder: string): { heads?: number; mlpElementsPerLayer?: number } {
  try {
    const spec = loadModelSpec(folder);
    return { heads: spec.heads, mlpElementsPerLayer: mlpElementsPerLayer(spec) };
  } catch {
    return {}; // inspect already reported what is wrong with the model
  }
}

export function modelHandlers(context: ServiceContext): ModelHandlers {
  const describe = async (path: string): Promise<ModelInfo> => {
    const inspect = await context.runJob('inspect', { model: path });
    const engine = await context.describeEngine();
    const defaults = METHODS.get('bounded')?.defaults;
    const bounded = typeof defaults === 'function' ? defaults({}) : (defaults ?? {});
    const memory = estimateMemory(inspect, {
      ...modelShape(path),
      nativeCpu: engine.backend === 'native',
      batchSize: DEFAULT_CONFIG.batchSize,
      sequenceLength: DEFAULT_CONFIG.maxLength,
      rank: bounded.rank ?? DEFAULT_CONFIG.rank,
      gpuMemoryBytes: engine.gpuMemoryBytes,
      onGpu: GPU_BACKENDS.has(engine.backend) && !/software adapter/.test(engine.description),
      systemMemoryBytes: os.totalmem(),
    });
    const suggestion = suggestMethod(inspect, memory);
    return {
      path,
      inspect,
      memory,
      suggestedMethod: suggestion.method,
      suggestion: suggestion.sentence,
    };
  };
  return {
    async 'model.inspect'({ path }) {
      return describe(existingFolder(path));
    },
    async 'model.prune'(request) {
      const model = existingFolder(request.path);
      const target = request.sparsity !== undefined ? String(request.sparsity) : request.pattern!;
      const out = resolve(
        request.out ??
          freeFolder(context, `${basename(model)}-${request.method}-${target.replace(':', 'of')}`),
      );
      const task = `prune ${basename(model)}`;
      await context.runJob(
        'prune',
        {
          model,
          method: request.method,
          ...(request.sparsity === undefined ? {} : { sparsity: String(request.sparsity) }),
          ...(request.pattern === undefined ? {} : { pattern: request.pattern }),
          ...(request.calib === undefined ? {} : { calib: resolve(request.calib) }),
          out,
          ...context.engine(),
        },
        {
          onProgress: (label, done, total) =>
            context.events.emit({ kind: 'task.progress', task, label, done, total }),
        },
      );
      return describe(out);
    },
  };
}

/** A model folder that is there (checked here, so a wrong path does not start the worker). */
function existingFolder(path: string): string {
  const folder = resolve(path);
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new ApiFailure('not-found', `${folder}: no such model folder`);
  return folder;
}

/** `<workspace>/models/<name>`, or `<name>-2`, `-3`, … when taken. */
function freeFolder(context: ServiceContext, name: string): string {
  const models = join(context.settings.get().workspace, 'models');
  mkdirSync(models, { recursive: true });
  for (let n = 1; ; n++) {
    const candidate = join(models, n === 1 ? name : `${name}-${n}`);
    if (!existsSync(candidate)) return candidate;
  }
}
