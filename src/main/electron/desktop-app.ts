/**
 * The Electron glue, kept thin: every decision lives in a module without an electron import
 * (window-options, app-origin, register-ipc, secret-file, dialog-options, worker-launch), which
 * tests load directly. This file only hands those decisions to Electron's APIs.
 */
import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  safeStorage,
  session,
  shell,
  type BrowserWindowConstructorOptions,
  type Session,
  type WebContents,
} from 'electron';
import type { AppBackend, AppBackendOptions, Dialogs, Shell } from '../app-backend.ts';
import { VERSION_ENV } from '../../shared/environment.ts';
import { RESOURCES_DIR_ENV } from '../report/layout.ts';
import type { SecretStore } from '../secrets.ts';
import { appOrigin, type AppOrigin } from './app-origin.ts';
import { dialogSpec } from './dialog-options.ts';
import { forwardEvents, registerIpc } from './register-ipc.ts';
import { encryptedFileSecretStore } from './secret-file.ts';
import { CONTENT_SECURITY_POLICY, windowOptions } from './window-options.ts';
import { desktopWorkerLaunch } from './worker-launch.ts';

/** How long quitting waits for a running audit to checkpoint before it goes anyway. */
const DISPOSE_TIMEOUT_MS = 15_000;

export type CreateAppBackend = (options: AppBackendOptions) => Promise<AppBackend>;

/** out/main, where this bundle runs from; the preload and renderer are its siblings. */
const mainDir = import.meta.dirname;
const rendererDir = join(mainDir, '../renderer');

export function startDesktopApp(createAppBackend: CreateAppBackend): void {
  // One instance: a second would fight the first over the worker, settings and ledger.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
  const origin = appOrigin(rendererDir, devServerUrl);
  app.on('web-contents-created', (_event, contents) => guardContents(contents));
  let backend: AppBackend | undefined;

  void app
    .whenReady()
    .then(async () => {
      guardSession(session.defaultSession, origin);
      // Packaged: extraResources (testbed, fonts, demo) lie in resources/. Unpackaged: the
      // repository's resources/. Modules that find resources relative to their source file
      // (the report's fonts) read this variable, since the bundle runs from elsewhere.
      const resourcesDir = app.isPackaged
        ? process.resourcesPath
        : join(app.getAppPath(), 'resources');
      process.env[RESOURCES_DIR_ENV] = resourcesDir;
      process.env[VERSION_ENV] = app.getVersion();
      backend = await createAppBackend({
        transport: 'electron',
        secrets: safeStorageSecrets(),
        dialogs: nativeDialogs(),
        shell: nativeShell(),
        workerLaunch: desktopWorkerLaunch({
          isPackaged: app.isPackaged,
          resourcesPath: process.resourcesPath,
          platform: process.platform,
          mainDir,
          env: process.env,
        }),
        resourcesDir,
        onWorkerOutput: (text) => process.stderr.write(text),
        onInternalError: (channel, error) => console.error(`nepenthe: ${channel} failed:`, error),
      });
      registerIpc(ipcMain, backend, { isOwnPage: (url) => origin.isOwnPage(url) });
      const window = openWindow(devServerUrl);
      const stopEvents = forwardEvents(backend, window.webContents);
      window.on('closed', stopEvents);
    })
    .catch((error: unknown) => {
      // Nothing to show the user but a native box: the window is not up yet.
      dialog.showErrorBox('Nepenthe could not start', String((error as Error)?.stack ?? error));
      app.exit(1);
    });

  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  app.on('window-all-closed', () => app.quit());
  // Let the backend checkpoint a running audit and stop the worker before the process goes.
  let disposed = false;
  app.on('will-quit', (event) => {
    if (disposed || backend === undefined) return;
    event.preventDefault();
    disposed = true;
    const giveUp = new Promise((resolve) => setTimeout(resolve, DISPOSE_TIMEOUT_MS));
    void Promise.race([backend.dispose(), giveUp])
      .catch((error: unknown) => console.error('nepenthe: stopping the backend failed:', error))
      .finally(() => app.quit());
  });
}

function openWindow(devServerUrl: string | undefined): BrowserWindow {
  const options: BrowserWindowConstructorOptions = windowOptions(
    join(mainDir, '../preload/index.cjs'),
  );
  const window = new BrowserWindow(options);
  window.once('ready-to-show', () => window.show());
  if (devServerUrl !== undefined) void window.loadURL(devServerUrl);
  else void window.loadFile(join(rendererDir, 'index.html'));
  return window;
}

/** Every web contents, including any the app never meant to create: no navigation away, no
 * new windows, no <webview>. */
function guardContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** CSP on every response, no permission ever granted, no request that leaves the app. */
function guardSession(target: Session, origin: AppOrigin): void {
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
  });
  // Offline by design (DESIGN.md §9): cancel everything that is not the app's own files.
  target.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !origin.isAllowedRequest(details.url) });
  });
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  target.setDevicePermissionHandler(() => false);
}

function safeStorageSecrets(): SecretStore {
  return encryptedFileSecretStore(join(app.getPath('userData'), 'secrets.json'), {
    isAvailable: () => safeStorage.isEncryptionAvailable(),
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (sealed) => safeStorage.decryptString(sealed),
  });
}

function nativeDialogs(): Dialogs {
  return {
    async pick(request) {
      const spec = dialogSpec(request);
      const parent = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
      if (spec.kind === 'save') {
        const result = parent
          ? await dialog.showSaveDialog(parent, spec.options)
          : await dialog.showSaveDialog(spec.options);
        return {
          supported: true,
          paths: result.canceled || !result.filePath ? null : [result.filePath],
        };
      }
      const result = parent
        ? await dialog.showOpenDialog(parent, spec.options)
        : await dialog.showOpenDialog(spec.options);
      return { supported: true, paths: result.canceled ? null : result.filePaths };
    },
  };
}

function nativeShell(): Shell {
  // shell.openPath resolves with an error message, empty on success.
  return { openFolder: async (path) => (await shell.openPath(path)) === '' };
}
