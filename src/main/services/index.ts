/**
 * The app behind the typed API (DESIGN.md §2): one handler module per channel group, wired
 * through the dispatcher so every request is validated by src/shared/app-api.ts before a
 * handler sees it. No Electron here: the desktop app passes its dialogs, shell and safeStorage
 * secret store through the options; `nepenthe serve` and the tests use it as it is.
 */
import type { AppBackend, AppBackendOptions } from '../app-backend.ts';
import { createDispatcher, type Handlers } from '../ipc/dispatcher.ts';
import { appHandlers } from './app.ts';
import { createServiceContext } from './context.ts';
import { documentHandlers } from './documents.ts';
import { createEventBus } from './events.ts';
import { fileHandlers } from './files.ts';
import { methodHandlers } from './methods.ts';
import { modelHandlers } from './model.ts';
import { reportHandlers } from './reports.ts';
import { createRunManager } from './runs.ts';

/** How long `dispose` waits for a cancelled audit to write its checkpoint. */
const DISPOSE_WAIT_MS = 30_000;

export async function createAppBackend(options: AppBackendOptions): Promise<AppBackend> {
  const events = createEventBus();
  const context = createServiceContext(options, events);
  const runs = createRunManager(context);
  const handlers: Handlers = {
    ...appHandlers(context),
    ...fileHandlers(context),
    ...modelHandlers(context),
    ...documentHandlers(context),
    ...methodHandlers(context),
    ...runs.handlers,
    ...reportHandlers(context),
  };
  const dispatcher = createDispatcher(handlers, {
    checkResponses: process.env.NODE_ENV !== 'production',
    ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
  });
  let disposed: Promise<void> | undefined;
  return {
    call: (channel, payload) => dispatcher.call(channel, payload),
    subscribe: events.subscribe,
    dispose() {
      disposed ??= (async () => {
        await runs.stop(DISPOSE_WAIT_MS);
        await context.worker.dispose();
      })();
      return disposed;
    },
  };
}
