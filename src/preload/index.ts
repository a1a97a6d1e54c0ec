/**
 * The only surface the renderer sees: `window.nepenthe`, the NepentheBridge of
 * src/shared/app-api.ts. It forwards calls on the known channels and nothing else (a channel
 * name from anywhere else throws before anything is sent), relays events, and turns a dropped
 * File into its path. A sandboxed preload cannot load npm modules, so this file imports only
 * electron and the plain channel list; electron-vite bundles it into one CommonJS file.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { AppEvent, NepentheBridge } from '../shared/app-api.ts';
import { IPC_EVENT_CHANNEL, ipcChannel, isChannelName } from '../shared/app-channels.ts';

const bridge: NepentheBridge = {
  transport: 'electron',
  call(channel, request) {
    if (!isChannelName(channel))
      throw new TypeError(`window.nepenthe.call: unknown channel ${JSON.stringify(channel)}`);
    return ipcRenderer.invoke(ipcChannel(channel), request);
  },
  onEvent(listener) {
    // A fresh wrapper per subscription, so the renderer never sees the IpcRendererEvent (it
    // carries the sender) and unsubscribing removes exactly this listener.
    const relay = (_event: IpcRendererEvent, appEvent: AppEvent): void => listener(appEvent);
    ipcRenderer.on(IPC_EVENT_CHANNEL, relay);
    return () => void ipcRenderer.removeListener(IPC_EVENT_CHANNEL, relay);
  },
  pathForFile(file) {
    const path = webUtils.getPathForFile(file);
    return path === '' ? null : path;
  },
};

contextBridge.exposeInMainWorld('nepenthe', bridge);
