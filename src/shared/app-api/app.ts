/**
 * The app itself and its settings.
 * Part of the app API (../app-api.ts), which holds the channel table.
 */
import { z } from 'zod';
import { BackendName } from '../contracts.ts';
import { path } from './primitives.ts';

export const Transport = z.enum(['electron', 'browser']);
export type Transport = z.infer<typeof Transport>;

export const AppInfo = z.object({
  version: z.string(),
  transport: Transport,
  platform: z.string(),
  arch: z.string(),
  cpu: z.string(),
  cores: z.number().int().positive(),
  memory: z.object({ totalBytes: z.number().nonnegative(), freeBytes: z.number().nonnegative() }),
  /** The engine's backend as the worker chose it, and what it runs on (GPU adapter or CPU). */
  engine: z.object({
    backend: z.string(),
    description: z.string(),
    /** GPU memory when the adapter reports it; null on CPU backends or when unknown. */
    gpuMemoryBytes: z.number().nonnegative().nullable(),
  }),
  /** The bundled testbed (model, reference, corpus files), when shipped. */
  testbed: z
    .object({
      model: z.string(),
      reference: z.string(),
      forget: z.string(),
      retain: z.string(),
      holdout: z.string(),
      qa: z.string().nullable(),
    })
    .nullable(),
  workspace: z.string(),
  configDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const Settings = z.object({
  /** Where run folders (and pruned models, uploads) are written. */
  workspace: path,
  backend: BackendName,
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 31 - 1),
  ledgerPath: path,
});
export type Settings = z.infer<typeof Settings>;
