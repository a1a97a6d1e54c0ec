/** The engine worker's supervisor (no Electron import: the CLI and tests use it too). */
export { WorkerCrashed, WorkerJobError } from './errors.ts';
export { developmentLaunch, type WorkerLaunch } from './launch.ts';
export { newJobId, WorkerHost, type RunHooks, type WorkerHostOptions } from './worker-host.ts';
