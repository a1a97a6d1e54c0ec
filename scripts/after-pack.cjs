// electron-builder's afterPack hook (electron-builder.yml): signs the manifest of the files that
// run outside app.asar (scripts/unpacked-manifest.mjs). CommonJS, as electron-builder requires it.
module.exports = async (context) => (await import('./unpacked-manifest.mjs')).signPackaged(context);
