/**
 * Environment variables the desktop app's main process sets for the code it bundles (and the
 * worker it starts), where a path relative to a source file would be wrong: the bundles run from
 * out/main, or from app.asar when packaged.
 */
/** The app's version (Electron's app.getVersion()); else package.json beside the sources. */
export const VERSION_ENV = 'NEPENTHE_VERSION';
