/**
 * The app's typed API (DESIGN.md §2): what the renderer may ask of the main process, one zod
 * schema pair per channel, and the events main pushes back. The same API runs over Electron IPC
 * (preload → ipcMain) and over HTTP for `nepenthe serve` (an adapter, not a second app). Main
 * validates every request here before a handler sees it, and answers with an `ApiResult`
 * envelope: a handler never throws across the boundary.
 */
import { z } from 'zod';
import { CHANNEL_NAMES, type ChannelName } from './app-channels.ts';
import { RunManifest, RunState } from './audit.ts';
import { BackendName, EvalReport, InspectReport } from './contracts.ts';
import { VerifiedReport } from './report.ts';
import { TrainingLog, TrainingProgress } from './training.ts';

const path = z.string().min(1).max(4096);
const none = z.strictObject({});
const ok = z.object({ ok: z.literal(true) });

/** A run folder's name under the workspace (also the ledger's run id). No separators. */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a run id is a folder name: letters, digits, . _ -');
export type RunId = z.infer<typeof RunId>;

// ---------------------------------------------------------------------------------------------
// app, settings

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

// ---------------------------------------------------------------------------------------------
// files: an in-app file browser (the browser transport has no native dialog), native dialogs,
// uploads of dropped files (browser transport)

export const FilePurpose = z.enum(['model', 'documents', 'qa', 'p12', 'folder']);
export type FilePurpose = z.infer<typeof FilePurpose>;

export const FilesListRequest = z.strictObject({
  /** Default: the user's home folder. */
  path: path.optional(),
  purpose: FilePurpose.optional(),
});
export const FileEntry = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['dir', 'file']),
  bytes: z.number().int().nonnegative(),
  /** A folder holding config.json and safetensors weights: a Hugging Face model. */
  isModel: z.boolean(),
  /** Whether the entry fits the request's purpose (a document format, a .p12, a model). */
  selectable: z.boolean(),
});
export type FileEntry = z.infer<typeof FileEntry>;
export const FilesListResponse = z.object({
  path: z.string(),
  parent: z.string().nullable(),
  entries: z.array(FileEntry),
  /** Places to start from: home, workspace, the bundled testbed. */
  roots: z.array(z.object({ label: z.string(), path: z.string() })),
});

export const FilesPickRequest = z.strictObject({
  purpose: FilePurpose,
  multiple: z.boolean().optional(),
  /** A save dialog (choose a destination) rather than an open dialog. */
  save: z.boolean().optional(),
  defaultPath: path.optional(),
});
/** `supported: false` on the browser transport: the renderer shows its own file browser. */
export const FilesPickResponse = z.object({
  supported: z.boolean(),
  paths: z.array(z.string()).nullable(),
});

/** A file dropped on the browser page, sent as base64 (≤ 64 MiB decoded). */
export const FilesUploadRequest = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^/\\\0]+$/, 'a file name, without folders'),
  dataBase64: z.string().max(Math.ceil((64 * 2 ** 20 * 4) / 3) + 4),
});
export const FilesUploadResponse = z.object({ path: z.string(), bytes: z.number().int() });

// ---------------------------------------------------------------------------------------------
// model

export const MemoryEstimate = z.object({
  /** Bytes a run of each kind needs: full-parameter (AdamW: weights, grads, 2 moments, activations) and LoRA. */
  fullParameterBytes: z.number().nonnegative(),
  loraBytes: z.number().nonnegative(),
  evalBytes: z.number().nonnegative(),
  /** Memory the run would use: GPU memory on a GPU backend, else system memory. */
  availableBytes: z.number().nonnegative().nullable(),
  availableKind: z.enum(['gpu', 'cpu']),
  /** How the numbers were computed, one line. */
  basis: z.string(),
});
export type MemoryEstimate = z.infer<typeof MemoryEstimate>;

export const ModelInspectRequest = z.strictObject({ path });
export const ModelInfo = z.object({
  path: z.string(),
  inspect: InspectReport,
  memory: MemoryEstimate,
  /** Method suggestions from the model's shape: sparse → sau, large → bounded. */
  suggestedMethod: z.string(),
  suggestion: z.string(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const PruneMethod = z.enum(['magnitude', 'wanda']);
export const ModelPruneRequest = z
  .strictObject({
    path,
    method: PruneMethod,
    /** Unstructured fraction in (0, 1) … */
    sparsity: z.number().gt(0).lt(1).optional(),
    /** … or an N:M pattern such as "2:4". */
    pattern: z
      .string()
      .regex(/^\d{1,3}:\d{1,3}$/)
      .optional(),
    /** Calibration documents for Wanda. */
    calib: path.optional(),
    /** Default: a new folder under the workspace's models/. */
    out: path.optional(),
  })
  .refine((r) => (r.sparsity === undefined) !== (r.pattern === undefined), {
    message: 'give exactly one of sparsity and pattern',
  });

// ---------------------------------------------------------------------------------------------
// documents

export const DocumentSet = z.enum(['forget', 'retain', 'holdout', 'qa']);
export type DocumentSet = z.infer<typeof DocumentSet>;

export const DocumentsDescribeRequest = z.strictObject({
  paths: z.array(path).min(1).max(1000),
  /** Token counts use this model's tokenizer; without it they are null. */
  model: path.optional(),
  /** The set the files go into: 'qa' reads question/answer pairs. */
  set: DocumentSet.optional(),
  /** Names to find as PII, beside the patterns. */
  names: z.array(z.string().min(1).max(200)).max(1000).optional(),
});
export const DocumentFile = z.object({
  path: z.string(),
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Documents (or QA pairs) read from the file or folder; 0 when it could not be read. */
  documents: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative().nullable(),
  characters: z.number().int().nonnegative(),
  piiSpans: z.number().int().nonnegative(),
  /** Why the file cannot be used (one line naming it); null when it is fine. */
  error: z.string().nullable(),
});
export type DocumentFile = z.infer<typeof DocumentFile>;
export const DocumentsDescribeResponse = z.object({ files: z.array(DocumentFile) });

export const PiiKind = z.enum(['email', 'iban', 'card', 'nationalId', 'dob', 'phone', 'name']);
export const DocumentsPreviewRequest = z.strictObject({
  path,
  /** Which document of a multi-document file (JSONL line, CSV row); default 0. */
  index: z.number().int().nonnegative().optional(),
  names: z.array(z.string().min(1).max(200)).max(1000).optional(),
});
export const DocumentPreview = z.object({
  path: z.string(),
  documentCount: z.number().int().nonnegative(),
  index: z.number().int().nonnegative(),
  id: z.string(),
  /** At most 20,000 characters of the document. */
  text: z.string(),
  truncated: z.boolean(),
  /** PII spans in `text`, by character offsets [start, end). */
  spans: z.array(
    z.object({
      start: z.number().int().nonnegative(),
      end: z.number().int().nonnegative(),
      kind: PiiKind,
    }),
  ),
});
export type DocumentPreview = z.infer<typeof DocumentPreview>;

// ---------------------------------------------------------------------------------------------
// methods

/** One hyperparameter, with its valid range, for the advanced panel. */
export const Hyperparameter = z.object({
  key: z.string(),
  description: z.string(),
  type: z.enum(['number', 'integer', 'enum', 'number-or-auto', 'number-or-null']),
  min: z.number().nullable(),
  max: z.number().nullable(),
  /** Whether `min` itself is excluded (a positive learning rate). */
  exclusiveMin: z.boolean(),
  options: z.array(z.string()).nullable(),
  default: z.union([z.number(), z.string(), z.null()]),
  /** Trainer keys every method reads; the others belong to the methods that list them. */
  common: z.boolean(),
});
export type Hyperparameter = z.infer<typeof Hyperparameter>;

export const ConfigValue = z.union([z.number(), z.string(), z.null()]);
export const RunConfigInput = z.record(z.string().max(64), ConfigValue);
export type RunConfigInput = z.infer<typeof RunConfigInput>;

export const MethodInfo = z.object({
  name: z.string(),
  summary: z.string(),
  /** When to choose it, in plain language. */
  whenToUse: z.string(),
  needsRetain: z.boolean(),
  /** Needs a pruned (sparse) model. */
  needsSparseModel: z.boolean(),
  /** Method keys it reads, beside the common ones. */
  keys: z.array(z.string()),
  /** Every key it reads with the value it will use by default. */
  defaults: RunConfigInput,
});
export type MethodInfo = z.infer<typeof MethodInfo>;

/** A preset: a method with settings that forget on the bundled testbed. */
export const Preset = z.object({
  id: z.string(),
  label: z.string(),
  method: z.string(),
  explanation: z.string(),
  config: RunConfigInput,
});
export type Preset = z.infer<typeof Preset>;

export const MethodsListResponse = z.object({
  methods: z.array(MethodInfo),
  parameters: z.array(Hyperparameter),
  presets: z.array(Preset),
});

// ---------------------------------------------------------------------------------------------
// runs

export const RunStartRequest = z.strictObject({
  model: path,
  forget: z.array(path).min(1).max(1000),
  retain: z.array(path).max(1000).optional(),
  holdout: z.array(path).max(1000).optional(),
  qa: path.optional(),
  reference: path.optional(),
  names: z.array(z.string().min(1).max(200)).max(1000).optional(),
  method: z.string().min(1).max(64),
  /** Hyperparameters; validated for the method like `--config` (unknown keys refused). */
  config: RunConfigInput.optional(),
  /** Default: the settings'. */
  backend: BackendName.optional(),
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 31 - 1)
    .optional(),
});
export type RunStartRequest = z.infer<typeof RunStartRequest>;
export const RunStartResponse = z.object({ runId: RunId, runDir: z.string() });

export const RunRef = z.strictObject({ runId: RunId });
/**
 * Names to protect are never stored (PII): resuming a run that had them, in a later session,
 * needs them again; the worker checks them against the hash in the manifest.
 */
export const RunResumeRequest = z.strictObject({
  runId: RunId,
  names: z.array(z.string().min(1).max(200)).max(1000).optional(),
});

export const RunPhase = z.enum(['validate', 'evalBefore', 'unlearn', 'evalAfter', 'report']);
export const RunStatus = z.object({
  runId: RunId,
  runDir: z.string(),
  /** `running` only while this process runs it; a run whose process died reads `cancelled`. */
  state: RunState,
  /** The phase the last progress event named; null before the first. */
  phase: RunPhase.nullable(),
  progress: z.object({ label: z.string(), done: z.number(), total: z.number() }).nullable(),
  /** Training steps so far (live while running, from training.json after). */
  steps: z.array(TrainingProgress),
  message: z.string().nullable(),
  /** A cancelled or interrupted run with a checkpoint can be resumed. */
  resumable: z.boolean(),
});
export type RunStatus = z.infer<typeof RunStatus>;

export const RunSummary = z.object({
  runId: RunId,
  runDir: z.string(),
  state: RunState,
  method: z.string(),
  model: z.string(),
  started: z.string(),
  finished: z.string().nullable(),
  verdict: z.enum(['pass', 'fail']).nullable(),
  /** The signed report, when one was written. */
  report: z.string().nullable(),
  /** The report's ledger entry, when the ledger has one. */
  ledgerSeq: z.number().int().positive().nullable(),
  resumable: z.boolean(),
});
export type RunSummary = z.infer<typeof RunSummary>;
export const RunsListResponse = z.object({ runs: z.array(RunSummary) });

export const VerdictCriterion = z.object({
  id: z.string(),
  label: z.string(),
  pass: z.boolean(),
  detail: z.string(),
});
export const RunVerdict = z.object({ pass: z.boolean(), criteria: z.array(VerdictCriterion) });
export type RunVerdict = z.infer<typeof RunVerdict>;

export const RunDetails = z.object({
  summary: RunSummary,
  manifest: RunManifest,
  metricsBefore: EvalReport.nullable(),
  metricsAfter: EvalReport.nullable(),
  training: TrainingLog.nullable(),
  /** Null until both metrics documents exist. */
  verdict: RunVerdict.nullable(),
  /** What the run folder holds to export: the model, and the adapter for LoRA methods. */
  outputs: z.object({ model: z.string().nullable(), adapter: z.string().nullable() }),
});
export type RunDetails = z.infer<typeof RunDetails>;

// ---------------------------------------------------------------------------------------------
// signing and reports

export const SigningStatus = z.object({
  defaultIdentity: z.object({ path: z.string(), exists: z.boolean() }),
  /** Whether the default identity's key passphrase is kept (encrypted at rest) by this app. */
  passphraseStored: z.boolean(),
  /** safeStorage in the desktop app; memory (this session only) in the browser transport. */
  secretStore: z.enum(['safeStorage', 'memory']),
});
export type SigningStatus = z.infer<typeof SigningStatus>;

export const Certificate = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('default') }),
  z.strictObject({ kind: z.literal('p12'), path }),
]);
export const ReportSignRequest = z.strictObject({
  runId: RunId,
  certificate: Certificate,
  /** The key's (default identity) or the PKCS#12's passphrase; default: the stored one. */
  passphrase: z.string().min(1).max(1024).optional(),
  /** Keep the default identity's passphrase in the secret store. */
  remember: z.boolean().optional(),
});
export const ReportSignResponse = z.object({
  path: z.string(),
  sha256: z.string(),
  signer: z.string(),
  selfSigned: z.boolean(),
  verdict: z.enum(['pass', 'fail']),
  ledger: z.object({ path: z.string(), seq: z.number().int().positive(), hash: z.string() }),
});

export const ReportVerifyRequest = z.strictObject({
  path,
  /** Default: the settings' ledger. */
  ledgerPath: path.optional(),
});

export const ExportRequest = z.strictObject({
  runId: RunId,
  /** A folder (model, adapter) or file (report) path that does not exist yet. */
  dest: path,
});
export const ModelExportRequest = z.strictObject({
  runId: RunId,
  what: z.enum(['model', 'adapter']),
  dest: path,
});
export const ExportResponse = z.object({ path: z.string(), bytes: z.number().int() });

export const OpenFolderResponse = z.object({
  /** False on the browser transport: the folder is on the server; `path` says where. */
  opened: z.boolean(),
  path: z.string(),
});

// ---------------------------------------------------------------------------------------------
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
