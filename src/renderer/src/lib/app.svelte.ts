/** What the app is running on (app.info), the settings, and the method catalogue. */
import type {
  AppInfo,
  Hyperparameter,
  MethodInfo,
  Preset,
  Settings,
} from '../../../shared/app-api.ts';
import { api } from './bridge.ts';
import { attempt } from './ui.svelte.ts';

class AppState {
  info = $state<AppInfo | null>(null);
  settings = $state<Settings | null>(null);
  methods = $state<MethodInfo[]>([]);
  parameters = $state<Hyperparameter[]>([]);
  presets = $state<Preset[]>([]);
  loaded = $state(false);

  async load(): Promise<void> {
    const [info, settings, catalogue] = await Promise.all([
      attempt('Reading the app information', () => api.call('app.info', {})),
      attempt('Reading the settings', () => api.call('settings.get', {})),
      attempt('Listing the unlearning methods', () => api.call('methods.list', {})),
    ]);
    this.info = info;
    this.settings = settings;
    if (catalogue) {
      this.methods = catalogue.methods;
      this.parameters = catalogue.parameters;
      this.presets = catalogue.presets;
    }
    this.loaded = true;
  }

  async saveSettings(changes: Partial<Settings>): Promise<boolean> {
    const saved = await attempt('Saving the settings', () => api.call('settings.set', changes));
    if (saved) this.settings = saved;
    return saved !== null;
  }

  method(name: string): MethodInfo | undefined {
    return this.methods.find((m) => m.name === name);
  }
}

export const app = new AppState();
