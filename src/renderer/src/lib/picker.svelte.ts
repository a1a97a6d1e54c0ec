/**
 * Choosing files: the native dialog (Electron's files.pick) when the transport has one, else the
 * in-app file browser (FileBrowser.svelte, built on files.list). Screens call `pickPaths` and get
 * paths or null (cancelled) without knowing which one answered.
 */
import type { FilePurpose } from '../../../shared/app-api.ts';
import { api } from './bridge.ts';
import { ui } from './ui.svelte.ts';

export interface BrowseRequest {
  purpose: FilePurpose;
  multiple: boolean;
  save: boolean;
  title: string;
  /** For save: the suggested name of the new file or folder. */
  defaultName?: string;
  startPath?: string;
}

interface OpenBrowse extends BrowseRequest {
  resolve: (paths: string[] | null) => void;
}

class Picker {
  /** The file browser's current request; null while it is closed. */
  browsing = $state<OpenBrowse | null>(null);

  browse(request: BrowseRequest): Promise<string[] | null> {
    this.browsing?.resolve(null);
    return new Promise((resolve) => {
      this.browsing = { ...request, resolve };
    });
  }

  finish(paths: string[] | null): void {
    const open = this.browsing;
    this.browsing = null;
    open?.resolve(paths && paths.length > 0 ? paths : null);
  }
}

export const picker = new Picker();

export async function pickPaths(request: BrowseRequest): Promise<string[] | null> {
  try {
    const native = await api.call('files.pick', {
      purpose: request.purpose,
      multiple: request.multiple,
      save: request.save,
      ...(request.defaultName ? { defaultPath: request.defaultName } : {}),
    });
    if (native.supported) return native.paths && native.paths.length > 0 ? native.paths : null;
  } catch (error) {
    ui.fail('Opening the file dialog', error);
  }
  return picker.browse(request);
}
