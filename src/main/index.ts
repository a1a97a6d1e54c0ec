/**
 * Electron main entry: the desktop app over the one backend both transports share
 * (src/main/services). All the window, session and IPC rules are in ./electron.
 */
import { createAppBackend } from './services/index.ts';
import { startDesktopApp } from './electron/desktop-app.ts';

startDesktopApp(createAppBackend);
