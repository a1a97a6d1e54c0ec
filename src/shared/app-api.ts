/**
 * The app's typed API (DESIGN.md §2): what the renderer may ask of the main process, one zod
 * schema pair per channel, and the events main pushes back. The same API runs over Electron IPC
 * (preload → ipcMain) and over HTTP for `nepenthe serve` (an adapter, not a second app). Main
 * validates every request here before a handler sees it, and answers with an `ApiResult`
 * envelope: a handler never throws across the boundary.
 */
import { z } from 'zod';
import { CHANNEL_NAMES, type ChannelName } from './app-channels.ts';
import { RunState } from './audit.ts';
import { VerifiedReport } from './report.ts';
import { CalibrationUpdate, TrainingProgress } from './training.ts';
import { AppInfo, Settings, Transport } from './app-api/app.ts';
import {
  DocumentPreview,
  DocumentsDescribeRequest,
  DocumentsDescribeResponse,
  DocumentsPreviewRequest,
} from './app-api/documents.ts';
import {
  FilesListRequest,
  FilesListResponse,
  FilesPickRequest,
  FilesPickResponse,
  FilesUploadRequest,
  FilesUploadResponse,
} from './app-api/files.ts';
import { MethodsListResponse } from './app-api/methods.ts';
import { ModelInfo, ModelInspectRequest, ModelPruneRequest } from './app-api/model.ts';
import {
  ExportRequest,
  ExportResponse,
  ModelExportRequest,
  OpenFolderResponse,
  ReportSignRequest,
  ReportSignResponse,
  ReportVerifyRequest,
  SigningStatus,
} from './app-api/reports.ts';
import {
  RunDetails,
  RunPhase,
  RunRef,
  RunResumeRequest,
  RunStartRequest,
  RunStartResponse,
  RunStatus,
  RunsListResponse,
} from './app-api/runs.ts';
import { path, RunId } from './app-api/primitives.ts';

export * from './app-api/primitives.ts';
export * from './app-api/app.ts';
export * from './app-api/files.ts';
export * from './app-api/model.ts';
export * from './app-api/documents.ts';
export * from './app-api/methods.ts';
export * from './app-api/runs.ts';
export * from './app-api/reports.ts';

const none = z.strictObject({});
const ok = z.object({ ok: z.literal(true) });

// the channel table

const channel = <Q extends z.ZodType, R extends z.ZodType>(request: Q, response: R) => ({
  request,
  response,
});

export const CHANNELS = {
  'app.info': channel(none, AppInfo),
  'settings.get': channel(none, Settings),
  'settings.set': channel(Settings.partial().strict(), Settings),
  'files.list': channel(FilesListRequest, FilesListResponse),
  'files.pick': channel(FilesPickRequest, FilesPickResponse),
  'files.upload': channel(FilesUploadRequest, FilesUploadResponse),
  'model.inspect': channel(ModelInspectRequest, ModelInfo),
  'model.prune': channel(ModelPruneRequest, ModelInfo),
  'documents.describe': channel(DocumentsDescribeRequest, DocumentsDescribeResponse),
  'documents.preview': channel(DocumentsPreviewRequest, DocumentPreview),
  'methods.list': channel(none, MethodsListResponse),
  'run.start': channel(RunStartRequest, RunStartResponse),
  'run.cancel': channel(RunRef, ok),
  'run.resume': channel(RunResumeRequest, RunStartResponse),
  'run.status': channel(RunRef, RunStatus),
  'runs.list': channel(none, RunsListResponse),
  'runs.open': channel(RunRef, RunDetails),
  'signing.status': channel(none, SigningStatus),
  'report.sign': channel(ReportSignRequest, ReportSignResponse),
  'report.verify': channel(ReportVerifyRequest, VerifiedReport),
  'report.export': channel(ExportRequest, ExportResponse),
  'model.export': channel(ModelExportRequest, ExportResponse),
  'shell.openFolder': channel(z.strictObject({ path }), OpenFolderResponse),
} as const satisfies Record<ChannelName, { request: z.ZodType; response: z.ZodType }>;

export type RequestOf<C extends ChannelName> = z.input<(typeof CHANNELS)[C]['request']>;
export type ResponseOf<C extends ChannelName> = z.output<(typeof CHANNELS)[C]['response']>;

// ---------------------------------------------------------------------------------------------
// results and errors

/**
 * `bad-request`: the payload does not match the channel's schema (a bug or a hostile caller);
 * `unknown-channel`: no such channel; `bad-input`: the user's files or options are at fault
 * (the message names the file and what to do); `not-found`: a run or file that is not there;
 * `needs-passphrase`: signing needs a passphrase that was neither given nor stored;
 * `busy`: a run is already going; `unsupported`: not on this transport; `failed`: anything else.
 */
export const ApiErrorCode = z.enum([
  'bad-request',
  'unknown-channel',
  'bad-input',
  'not-found',
  'needs-passphrase',
  'busy',
  'unsupported',
  'failed',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

export const ApiErrorBody = z.object({ code: ApiErrorCode, message: z.string() });
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

export const ApiResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ApiErrorBody }),
]);
export type ApiResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

/** What the renderer's client throws for an `ok: false` result (zod-free: see api-error.ts). */
export { ApiError } from './api-error.ts';

// ---------------------------------------------------------------------------------------------
// events (main → renderer)

export const AppEvent = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('run.progress'),
    runId: RunId,
    phase: RunPhase.nullable(),
    label: z.string(),
    done: z.number(),
    total: z.number(),
  }),
  z.object({ kind: z.literal('run.step'), runId: RunId, progress: TrainingProgress }),
  z.object({ kind: z.literal('run.decision'), runId: RunId, update: CalibrationUpdate }),
  z.object({
    kind: z.literal('run.log'),
    runId: RunId,
    level: z.enum(['info', 'warn']),
    message: z.string(),
  }),
  z.object({
    kind: z.literal('run.state'),
    runId: RunId,
    state: RunState,
    message: z.string().nullable(),
  }),
  /** Progress of a shorter task (pruning, describing many documents). */
  z.object({
    kind: z.literal('task.progress'),
    task: z.string(),
    label: z.string(),
    done: z.number(),
    total: z.number(),
  }),
]);
export type AppEvent = z.infer<typeof AppEvent>;

/**
 * What the renderer sees as `window.nepenthe` (preload) and what the browser transport's client
 * implements: the same surface, so the UI does not know which it talks to.
 */
export interface NepentheBridge {
  readonly transport: Transport;
  /** Never rejects for an error of the handler: resolves with `{ok: false}`. Unknown channels throw. */
  call(channel: ChannelName, request: unknown): Promise<ApiResult>;
  /** Returns the unsubscribe function. */
  onEvent(listener: (event: AppEvent) => void): () => void;
  /** The path of a file dropped on the window (Electron only; the browser uploads instead). */
  pathForFile?(file: File): string | null;
}

/** Every channel has a schema pair and every schema pair a name (checked by a test). */
export const API_CHANNELS: readonly ChannelName[] = CHANNEL_NAMES;
