/**
 * Electron main: one window with the renderer, locked down (DESIGN.md §9): context isolation,
 * sandbox, no Node in the renderer, no remote content, every navigation and new window denied.
 */
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, session } from 'electron';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'";

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'Nepenthe',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.mjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  if (devUrl && !app.isPackaged) void window.loadURL(devUrl);
  else void window.loadFile(join(import.meta.dirname, '../renderer/index.html'));
  return window;
}

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  // Offline by design: refuse every request that is not the app's own files.
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const local =
      details.url.startsWith('file://') ||
      details.url.startsWith('devtools://') ||
      (process.env.ELECTRON_RENDERER_URL !== undefined &&
        details.url.startsWith(process.env.ELECTRON_RENDERER_URL));
    callback({ cancel: !local });
  });
  ipcMain.handle('nepenthe:version', () => app.getVersion());
  createWindow();
});

app.on('window-all-closed', () => app.quit());
