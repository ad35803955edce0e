// @ts-check
// The startup snapshot's entry (tools/snapshot.js bundles it and has Node run it once with
// --build-snapshot). At build time it loads the library with cdk8s, constructs and the Kubernetes
// classes, so a synth starts with them in the heap instead of reading and compiling ~170 modules.
// At run time (tools/synth.sh: node --snapshot-blob build/synth-<node version>.blob) it checks,
// from the files on disk, that the snapshot is as new as the sources, then runs the user's
// build/main.js as Node would run it, with the preloaded modules standing in for their files.
'use strict';
const fs = require('fs');
const Module = require('module');
const os = require('os');
const path = require('path');
const v8 = require('v8');

const { DIRNAME_OF } = require('./snapshot-names');

/** What the snapshot holds, by the name the project's own files require it under (from build/main.js). */
const PRELOADED = {
  // @ts-ignore the library compiled by the build that makes the snapshot: tools/snapshot.js resolves it
  './lib': require('zk-snapshot-library'),
  cdk8s: require('cdk8s'),
  constructs: require('constructs'),
  'cdk8s-plus-28/lib/imports/k8s': require('cdk8s-plus-28/lib/imports/k8s'),
};

warmUp();

v8.startupSnapshot.setDeserializeMainFunction(() => {
  const blob = process.execArgv[process.execArgv.indexOf('--snapshot-blob') + 1];
  const root = path.resolve(path.dirname(blob), '..');
  /** @type {(file: string) => string} */
  const fromRoot = (file) => path.join(root, file);
  // The bundled modules' __dirname, as tools/snapshot.js rewrote it: where they are now, not where
  // they were built, and with links resolved, as Node gives a module's __dirname.
  Object.assign(globalThis, { [DIRNAME_OF]: (/** @type {string} */ dir) => fs.realpathSync(fromRoot(dir)) });
  const { ensureFresh } = /** @type {typeof import('./build')} */ (Module.createRequire(fromRoot('tools/'))('./build'));
  const main = fromRoot('build/main.js');
  // Fresh: this snapshot was made with build/ from these sources. Rebuilt: the new build/ runs from disk.
  if (ensureFresh()) preload(main);
  process.argv.splice(1, 0, main);
  // @ts-expect-error Module._load is Node's own loader (isMain: require.main === module in main.js)
  Module._load(main, null, true);
});

/** Puts the snapshot's modules in require's cache under the files they were bundled from. */
function preload(/** @type {string} */ main) {
  const resolveFrom = Module.createRequire(main);
  for (const [request, exports] of Object.entries(PRELOADED)) {
    const filename = resolveFrom.resolve(request);
    const module = new Module(filename);
    module.filename = filename;
    // @ts-expect-error Module._nodeModulePaths is Node's own, not in @types/node
    module.paths = Module._nodeModulePaths(path.dirname(filename));
    module.exports = exports;
    module.loaded = true;
    // @ts-expect-error Module._cache is require.cache
    Module._cache[filename] = module;
  }
}

/**
 * Runs the synth's whole path once while the snapshot is made (an environment file read and
 * checked, its ensemble, kustomization and Application written into a temporary folder), so the
 * snapshot holds those functions compiled, not only loaded: a tenth less work in each run. The
 * library keeps no state between syntheses; the tests compare every run's output byte for byte.
 */
function warmUp() {
  const lib = PRELOADED['./lib'];
  // At build time the working directory is the build folder (tools/snapshot.js).
  Object.assign(globalThis, { [DIRNAME_OF]: (/** @type {string} */ dir) => path.join(process.cwd(), '..', dir) });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-snapshot-'));
  try {
    fs.mkdirSync(path.join(scratch, 'environments'));
    fs.writeFileSync(path.join(scratch, 'environments', 'warm-up.yaml'), 'namespace: warm-up\nreplicas: 3\n');
    const environments = lib.readEnvironmentFiles(path.join(scratch, 'environments'));
    lib.synthesizeEnvironments(environments, { repoURL: 'https://git.example.com/warm-up.git', targetRevision: 'main' }, path.join(scratch, 'dist'));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
