/** `nepenthe serve`: the app's UI and typed API over HTTP on loopback (DESIGN.md §5). */
export { createServeServer, type ServeServer, type ServeServerOptions } from './server.ts';
export { isLoopbackHost } from './auth.ts';
