/**
 * The bad-input corpus: every input a hostile or careless user was seen to give, each with the
 * answer the product owes it. A CLI case exits 2 (bad input) or 1 (the run's own failure) with
 * one line on stderr that names the file and what to do, prints nothing on stdout, shows no
 * stack trace and leaves nothing behind; a serve case answers with an API error code and leaves
 * nothing behind. Each area's cases live in cases/<area>.ts; corpus.test.ts runs them all, and
 * README's reliability section states their count (checked there too).
 */
import type { RawResponse } from '../serve/http-client.ts';

export type Area =
  'models' | 'tokenizers' | 'documents' | 'configs' | 'outputs' | 'signing' | 'ledger' | 'serve';

export interface CliExpectation {
  /** The CLI's arguments (the `nepenthe` binary's, without it). */
  readonly args: string[];
  /** Fragments the one stderr line must contain: the file it names, the problem. */
  readonly mentions: string[];
  /** 2 for bad input (default); 1 where the input is well formed but the run cannot succeed. */
  readonly exitCode?: 1 | 2;
  /** Added to the CLI's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Seconds the CLI may take (default 60): a case that hangs fails here, it is not waited out. */
  readonly withinSeconds?: number;
  /** Checks after the run, e.g. that nothing was left behind or a file is untouched. */
  readonly after?: () => void;
}

export interface CliCase {
  readonly area: Exclude<Area, 'serve'>;
  readonly name: string;
  /** Writes the case's inputs under `dir`, a fresh temporary folder of its own. */
  setup(dir: string): CliExpectation | Promise<CliExpectation>;
}

/** A running `nepenthe serve` as the serve cases see it. */
export interface ServeClient {
  /** Its workspace folder (runs, uploads). */
  readonly workspace: string;
  /** Its loopback port, for requests no HTTP client will send (a raw socket). */
  readonly port: number;
  /** Its session token. */
  readonly token: string;
  /** POST /api/<channel> with the session token and a JSON body; the raw answer. */
  call(channel: string, payload: unknown): Promise<RawResponse>;
  /** Any request with the session token added (and Host unless given). */
  raw(request: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
  }): Promise<RawResponse>;
}

export interface ServeCase {
  readonly area: 'serve';
  readonly name: string;
  /** Sends the hostile request(s) and asserts the answer and what is (not) left behind. */
  run(serve: ServeClient, dir: string): Promise<void>;
}
