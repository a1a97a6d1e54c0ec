/**
 * The weights of a Hugging Face model folder: `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (`{"weight_map": {tensor: shard file}}`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserInputError } from '../../../shared/errors.ts';
import { countZeroFloats, findNonFinite, isFloatDtype, type SafetensorsDtype } from './dtype.ts';
import { nonFiniteError, SafetensorsFile } from './file.ts';
import type { TensorEntry } from './header.ts';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

const IndexSchema = z.object({
  metadata: z.record(z.string(), z.unknown()).optional(),
  weight_map: z.record(
    z.string(),
    z.string().regex(/^[^/\\]+$/, 'shard names must be plain file names'),
  ),
});

export class Checkpoint {
  private constructor(
    readonly folder: string,
    /** Weight files in name order (what `sha256` hashes). */
    readonly files: readonly string[],
    private readonly byTensor: ReadonlyMap<string, SafetensorsFile>,
  ) {}

  static open(folder: string): Checkpoint {
    const single = join(folder, SINGLE_FILE);
    const index = join(folder, INDEX_FILE);
    if (existsSync(index)) return Checkpoint.openSharded(folder, index);
    if (existsSync(single)) {
      const file = SafetensorsFile.open(single);
      const map = new Map(file.names.map((name) => [name, file]));
      return new Checkpoint(folder, [single], map);
    }
    throw new UserInputError(
      folder,
      `no ${SINGLE_FILE} or ${INDEX_FILE}; export the model with safe_serialization=True`,
    );
  }

  private static openSharded(folder: string, indexPath: string): Checkpoint {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(indexPath, 'utf8'));
    } catch (error) {
      throw new UserInputError(indexPath, `invalid JSON (${(error as Error).message})`);
    }
    const parsed = IndexSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UserInputError(
        indexPath,
        `invalid index: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    const shardNames = [...new Set(Object.values(parsed.data.weight_map))].sort();
    const shards = new Map<string, SafetensorsFile>();
    const opened: SafetensorsFile[] = [];
    try {
      for (const shard of shardNames) {
        const path = join(folder, shard);
        if (!existsSync(path))
          throw new UserInputError(
            indexPath,
            `lists shard ${shard}, which is missing from the folder`,
          );
        const file = SafetensorsFile.open(path);
        opened.push(file);
        shards.set(shard, file);
      }
      const byTensor = new Map<string, SafetensorsFile>();
      for (const [tensor, shard] of Object.entries(parsed.data.weight_map)) {
        const file = shards.get(shard)!;
        if (!file.entry(tensor))
          throw new UserInputError(file.path, `index says it holds "${tensor}", but it does not`);
        byTensor.set(tensor, file);
      }
      return new Checkpoint(
        folder,
        shardNames.map((s) => join(folder, s)),
        byTensor,
      );
    } catch (error) {
      for (const file of opened) file.close();
      throw error;
    }
  }

  get names(): string[] {
    return [...this.byTensor.keys()];
  }

  has(name: string): boolean {
    return this.byTensor.has(name);
  }

  entry(name: string): TensorEntry | undefined {
    return this.byTensor.get(name)?.entry(name);
  }

  /** Which file holds `name` (for error messages). */
  fileOf(name: string): string {
    return this.byTensor.get(name)?.path ?? this.folder;
  }

  readFloat32(name: string): Float32Array {
    const file = this.byTensor.get(name);
    if (!file) throw new UserInputError(this.folder, `checkpoint has no tensor "${name}"`);
    return file.readFloat32(name);
  }

  /**
   * Zero elements (+0 or −0) of a float tensor, counted on its stored bytes without widening;
   * a NaN or ±Inf element is a `UserInputError` naming the tensor, as on load.
   */
  scanFloats(name: string, options: { zeros: boolean }): number {
    const file = this.byTensor.get(name);
    if (!file) throw new UserInputError(this.folder, `checkpoint has no tensor "${name}"`);
    const entry = file.entry(name)!;
    if (!isFloatDtype(entry.dtype))
      throw new UserInputError(
        file.path,
        `tensor "${name}" has dtype ${entry.dtype}; Nepenthe reads F32, F16 and BF16 weights only`,
      );
    const bytes = file.readBytes(name);
    const nonFinite = findNonFinite(bytes, entry.dtype);
    if (nonFinite.count > 0) throw nonFiniteError(file.path, name, nonFinite);
    return options.zeros ? countZeroFloats(bytes, entry.dtype) : 0;
  }

  /** The float dtype most of the weights are stored in (by element count). */
  dominantDtype(): SafetensorsDtype {
    const counts = new Map<SafetensorsDtype, number>();
    for (const name of this.names) {
      const e = this.entry(name)!;
      const n = e.shape.reduce((a, b) => a * b, 1);
      counts.set(e.dtype, (counts.get(e.dtype) ?? 0) + n);
    }
    let best: SafetensorsDtype = 'F32';
    let bestCount = -1;
    for (const [dtype, n] of counts) if (n > bestCount) [best, bestCount] = [dtype, n];
    return best;
  }

  close(): void {
    for (const file of new Set(this.byTensor.values())) file.close();
  }
}
