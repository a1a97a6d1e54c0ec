/** Maps what a job threw, or a message that is not a job, to the protocol's error event. */
import { ZodError } from 'zod';
import { isUserInputError } from '../../shared/errors.ts';
import { WorkJob, type ErrorEvent } from '../../shared/worker-protocol.ts';
import { JobCancelled } from './context.ts';

/**
 * Allocation failures the worker can still report itself (tfjs/wasm memory growth, a typed
 * array too large). A V8 heap exhaustion kills the process instead: the host detects that.
 */
const OUT_OF_MEMORY =
  /out of memory|Array buffer allocation failed|allocation failed|Invalid typed array length|OOM/i;
/** How tfjs-backend-wasm fails when its 32-bit heap (at most 4 GB) cannot grow any more. */
const WASM_HEAP_EXHAUSTED = /^Aborted\(|memory access out of bounds/;

/** The message for an allocation failure: what happened and what would fit. */
export function outOfMemoryMessage(message: string): string {
  if (message.startsWith('out of memory')) return message; // OutOfMemoryError: says it all
  const wasm = WASM_HEAP_EXHAUSTED.test(message);
  return (
    `out of memory${wasm ? " in the wasm backend's 4 GB heap" : ''} (${message.split('\n')[0]}); ` +
    'use fewer tokens per step (batchSize, maxLength), the bounded method' +
    (wasm ? ', the native backend (--backend native: tensors in RAM)' : '') +
    ', or a machine with more memory'
  );
}

export function errorEvent(id: string, error: unknown): ErrorEvent {
  if (error instanceof JobCancelled)
    return {
      id,
      kind: 'error',
      code: 'cancelled',
      message: error.message,
      ...(error.partial ? { partial: error.partial } : {}),
    };
  if (error instanceof ZodError)
    return { id, kind: 'error', code: 'failed', message: zodLine(error) };
  const message = error instanceof Error ? error.message : String(error);
  if (isUserInputError(error)) return { id, kind: 'error', code: 'bad-input', message };
  if (OUT_OF_MEMORY.test(message) || WASM_HEAP_EXHAUSTED.test(message))
    return { id, kind: 'error', code: 'out-of-memory', message: outOfMemoryMessage(message) };
  return { id, kind: 'error', code: 'failed', message };
}

/**
 * A result or event the worker built that fails its own schema is the worker's bug; a ZodError's
 * message is every issue as pretty JSON (kilobytes for an array of NaN), so say the first one.
 */
function zodLine(error: ZodError): string {
  const issue = error.issues[0];
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `internal error: the worker's answer failed its schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}${more}`;
}

const KINDS = new Set<string>([...WorkJob.options.map((o) => o.shape.kind.value), 'cancel']);

/** The answer to a message that failed validation: which job it was, and what is wrong. */
export function invalidMessageEvent(message: unknown, issue: string): ErrorEvent {
  const fields =
    typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
  const id = typeof fields.id === 'string' && fields.id !== '' ? fields.id : '?';
  if (typeof fields.kind === 'string' && !KINDS.has(fields.kind))
    return {
      id,
      kind: 'error',
      code: 'unknown-job',
      message: `unknown job kind "${fields.kind}"; known: ${[...KINDS].join(', ')}`,
    };
  return { id, kind: 'error', code: 'invalid-message', message: `invalid job message: ${issue}` };
}
