/** Every area's cases, in one list per runner. */
import type { CliCase, ServeCase } from '../corpus.ts';
import { CONFIG_CASES } from './configs.ts';
import { DOCUMENT_CASES } from './documents.ts';
import { LEDGER_CASES } from './ledger.ts';
import { MODEL_CASES } from './models.ts';
import { OUTPUT_CASES } from './outputs.ts';
import { SERVE_DOCUMENT_CASES } from './serve-documents.ts';
import { SERVE_CASES as SERVE_REQUEST_CASES } from './serve.ts';
import { SIGNING_CASES } from './signing.ts';
import { TOKENIZER_CASES } from './tokenizers.ts';

export const CLI_CASES: CliCase[] = [
  ...MODEL_CASES,
  ...TOKENIZER_CASES,
  ...CONFIG_CASES,
  ...SIGNING_CASES,
  ...LEDGER_CASES,
  ...OUTPUT_CASES,
  ...DOCUMENT_CASES,
];

export const SERVE_CASES: ServeCase[] = [...SERVE_REQUEST_CASES, ...SERVE_DOCUMENT_CASES];
