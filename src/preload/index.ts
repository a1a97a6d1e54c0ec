/** The only surface the renderer sees: a typed, minimal `window.nepenthe` API. */
import { contextBridge, ipcRenderer } from 'electron';

const api = {
  version: (): Promise<string> => ipcRenderer.invoke('nepenthe:version') as Promise<string>,
};

export type NepentheApi = typeof api;
contextBridge.exposeInMainWorld('nepenthe', api);
