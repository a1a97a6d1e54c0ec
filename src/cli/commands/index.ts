/**
 * Every `nepenthe` subcommand, in the order `--help` lists them. Each is loaded when it runs:
 * the engine work happens in the worker process, so a command that only talks to the worker
 * (inspect, score) need not load the tensor engine into the CLI process as well.
 */
import type { Command } from '../command.ts';

export interface CommandEntry {
  readonly name: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'inspect', load: async () => (await import('./inspect.ts')).inspect },
  { name: 'score', load: async () => (await import('./score.ts')).score },
  { name: 'generate', load: async () => (await import('./generate.ts')).generate },
  { name: 'prune', load: async () => (await import('./prune.ts')).prune },
  { name: 'unlearn', load: async () => (await import('./unlearn.ts')).unlearn },
  { name: 'eval', load: async () => (await import('./eval.ts')).evalCommand },
  { name: 'audit', load: async () => (await import('./audit.ts')).audit },
  { name: 'report', load: async () => (await import('./report.ts')).report },
  { name: 'demo', load: async () => (await import('./demo.ts')).demo },
  { name: 'verify', load: async () => (await import('./verify.ts')).verify },
  { name: 'bench', load: async () => (await import('./bench.ts')).bench },
  { name: 'ledger', load: async () => (await import('./ledger.ts')).ledger },
  { name: 'serve', load: async () => (await import('./serve.ts')).serve },
];
