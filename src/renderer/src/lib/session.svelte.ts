/**
 * The inputs of the next run, in the order the officer gives them: the model, the four
 * document sets (with PII names), and the method with its hyperparameters.
 */
import type {
  DocumentFile,
  DocumentSet,
  Hyperparameter,
  ModelInfo,
  Preset,
  RunConfigInput,
  RunStartRequest,
} from '../../../shared/app-api.ts';
import type { BackendName } from '../../../shared/contracts.ts';
import { app } from './app.svelte.ts';
import { api } from './bridge.ts';
import { parseValue } from './parameters.ts';
import { attempt, ui } from './ui.svelte.ts';

export const DOCUMENT_SETS: DocumentSet[] = ['forget', 'retain', 'holdout', 'qa'];

class Session {
  model = $state<ModelInfo | null>(null);
  /** The model is the testbed's, or was pruned from it: its reference model still applies. */
  fromTestbed = $state(false);
  loadingModel = $state(false);

  documents = $state<Record<DocumentSet, DocumentFile[]>>({
    forget: [],
    retain: [],
    holdout: [],
    qa: [],
  });
  describing = $state<Record<DocumentSet, boolean>>({
    forget: false,
    retain: false,
    holdout: false,
    qa: false,
  });
  /** Comma-separated names the PII detector should look for. */
  namesText = $state('');

  presetId = $state<string | null>(null);
  /** The officer picked the preset (rather than taking the model's suggestion). */
  presetChosen = $state(false);
  /** Text of each hyperparameter field the officer edited, by key. */
  edits = $state<Record<string, string>>({});
  /**
   * The officer wants calibrated mode: the run chooses its learning rate and when to stop from
   * half the holdout (the preset's tuned settings are left out). On by default.
   */
  calibrated = $state(true);
  backend = $state<BackendName | null>(null);
  seed = $state<number | null>(null);

  names = $derived(
    this.namesText
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n.length > 0),
  );
  usable = $derived(
    Object.fromEntries(
      DOCUMENT_SETS.map((set) => [set, this.documents[set].filter((f) => f.error === null)]),
    ) as Record<DocumentSet, DocumentFile[]>,
  );
  preset = $derived<Preset | null>(app.presets.find((p) => p.id === this.presetId) ?? null);
  hasForget = $derived(this.usable.forget.length > 0);
  /**
   * Whether the run will be calibrated: wanted, a holdout to steer by, and neither the learning
   * rate nor the epochs set by hand under Advanced (those fix the run, as `--config` does).
   */
  calibrating = $derived(
    this.calibrated &&
      this.usable.holdout.length > 0 &&
      this.edits.lr === undefined &&
      this.edits.epochs === undefined,
  );

  async loadModel(path: string): Promise<boolean> {
    this.loadingModel = true;
    try {
      const info = await attempt('Loading the model', () => api.call('model.inspect', { path }));
      if (!info) return false;
      this.setModel(info);
      return true;
    } finally {
      this.loadingModel = false;
    }
  }

  setModel(info: ModelInfo, fromTestbed?: boolean): void {
    this.model = info;
    this.fromTestbed = fromTestbed ?? info.path === app.info?.testbed?.model;
    ui.announce(`Model loaded: ${info.inspect.architecture}, ${info.path}`);
    // Token counts depend on the tokenizer: count again with the new model.
    for (const set of DOCUMENT_SETS) {
      const paths = this.documents[set].map((f) => f.path);
      if (paths.length > 0) void this.describe(set, paths, true);
    }
    // Follow the model's suggestion until the officer picks a preset (a pruned model → SAU).
    if (!this.presetChosen) {
      const suggested = app.presets.find((p) => p.method === info.suggestedMethod);
      if (suggested) this.presetId = suggested.id;
    }
  }

  /** Adds files to a set (or re-describes the set when `replace`). */
  async describe(set: DocumentSet, paths: string[], replace = false): Promise<void> {
    if (paths.length === 0) return;
    this.describing[set] = true;
    try {
      const described = await attempt(`Reading the ${set} documents`, () =>
        api.call('documents.describe', {
          paths,
          set,
          ...(this.model ? { model: this.model.path } : {}),
          ...(this.names.length > 0 ? { names: this.names } : {}),
        }),
      );
      if (!described) return;
      const kept = replace
        ? []
        : this.documents[set].filter((f) => !described.files.some((d) => d.path === f.path));
      // QA is one file: the latest choice replaces the earlier one.
      this.documents[set] =
        set === 'qa' ? described.files.slice(-1) : [...kept, ...described.files];
      const bad = described.files.filter((f) => f.error !== null).length;
      ui.announce(
        `${described.files.length} file(s) added to ${set}` +
          (bad > 0 ? `, ${bad} with errors` : ''),
      );
    } finally {
      this.describing[set] = false;
    }
  }

  remove(set: DocumentSet, path: string): void {
    this.documents[set] = this.documents[set].filter((f) => f.path !== path);
  }

  /** PII counts depend on the names: count again after they change. */
  async refreshPii(): Promise<void> {
    await Promise.all(
      DOCUMENT_SETS.map((set) =>
        this.describe(
          set,
          this.documents[set].map((f) => f.path),
          true,
        ),
      ),
    );
  }

  /**
   * The configuration the run gets: the preset's (none when calibrating: its numbers were tuned
   * for a fixed run on the testbed; the method's defaults apply), then every field the officer
   * edited.
   */
  config(parameters: Hyperparameter[]): RunConfigInput {
    const config: RunConfigInput = this.calibrating ? {} : { ...(this.preset?.config ?? {}) };
    for (const [key, text] of Object.entries(this.edits)) {
      const parameter = parameters.find((p) => p.key === key);
      if (parameter) config[key] = parseValue(parameter, text).value;
    }
    return config;
  }

  startRequest(): RunStartRequest | null {
    const model = this.model;
    const preset = this.preset;
    if (!model || !preset || !this.hasForget) return null;
    const paths = (set: DocumentSet) => this.usable[set].map((f) => f.path);
    const testbed = app.info?.testbed;
    const request: RunStartRequest = {
      model: model.path,
      forget: paths('forget'),
      method: preset.method,
      config: this.config(app.parameters),
    };
    if (paths('retain').length > 0) request.retain = paths('retain');
    if (paths('holdout').length > 0) request.holdout = paths('holdout');
    const qa = paths('qa')[0];
    if (qa) request.qa = qa;
    // The testbed ships a model retrained without its forget set: forget quality needs it.
    if (testbed && this.fromTestbed) request.reference = testbed.reference;
    if (this.names.length > 0) request.names = this.names;
    if (this.backend) request.backend = this.backend;
    if (this.seed !== null) request.seed = this.seed;
    return request;
  }
}

export const session = new Session();
