// @ts-check
// Makes the synth's startup snapshot in a freshly compiled build folder: bundles
// tools/snapshot-entry.js with the compiled library and its dependencies (esbuild, the bundler
// tsx itself runs on: maintained, and made for exactly this), then has this Node run the bundle
// once with --build-snapshot. A synth started from the blob finds cdk8s and the library already in
// its heap: it neither reads nor compiles their ~170 modules (docs/performance.md).
//   node tools/snapshot.js <build folder>     (tools/build.js runs it; its messages only on failure)
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { blobName, DIRNAME_OF } = require('./snapshot-names');

const ROOT = path.join(__dirname, '..');

/** @typedef {import('esbuild').Plugin} Plugin */

/** `zk-snapshot-library` (in the entry) is the library compiled into this build folder. */
const libraryIn = (/** @type {string} */ buildDir) => /** @type {Plugin} */ ({
  name: 'library',
  setup(build) {
    build.onResolve({ filter: /^zk-snapshot-library$/ }, () => ({ path: path.join(buildDir, 'lib', 'index.js') }));
  },
});

/**
 * One copy of yaml, cdk8s's, when it is the version the library asks for (lib/environments/yaml.ts
 * shares it the same way at run time): a second copy would only make the snapshot larger.
 */
const sharedYaml = /** @type {Plugin} */ ({
  name: 'shared-yaml',
  setup(build) {
    const cdk8sDir = path.dirname(require.resolve('cdk8s/package.json', { paths: [ROOT] }));
    const version = (/** @type {string} */ dir) => JSON.parse(fs.readFileSync(require.resolve('yaml/package.json', { paths: [dir] }), 'utf8')).version;
    if (version(cdk8sDir) !== version(ROOT)) return;
    build.onResolve({ filter: /^yaml(\/.*)?$/ }, (args) => (args.pluginData === 'shared' ? undefined
      : build.resolve(args.path, { kind: args.kind, resolveDir: cdk8sDir, pluginData: 'shared' })));
  },
});

/**
 * A bundled module's __dirname would be the folder it was bundled in, frozen into the snapshot;
 * the library reads lib/scripts relative to it at synth time. Each use becomes a call that answers
 * from where the project is when the synth runs (tools/snapshot-entry.js defines the function).
 */
const dirnameAtRunTime = (/** @type {string} */ buildDir) => /** @type {Plugin} */ ({
  name: 'dirname',
  setup(build) {
    const realRoot = fs.realpathSync(ROOT);
    build.onLoad({ filter: /\.js$/ }, (args) => {
      const contents = fs.readFileSync(args.path, 'utf8');
      if (!/\b__dirname\b/.test(contents)) return undefined;
      const dir = path.dirname(args.path);
      const inBuild = path.relative(buildDir, dir);
      const relative = inBuild.startsWith('..') ? path.relative(realRoot, dir) : path.join('build', inBuild);
      return { contents: contents.replace(/\b__dirname\b/g, `globalThis.${DIRNAME_OF}(${JSON.stringify(relative)})`), loader: 'js' };
    });
  },
});

async function main(/** @type {string} */ buildDir) {
  const esbuild = require('esbuild');
  const bundle = path.join(buildDir, `${blobName(process.version)}.js`);
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'snapshot-entry.js')],
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node}`,
    outfile: bundle,
    logLevel: 'error',
    plugins: [libraryIn(buildDir), sharedYaml, dirnameAtRunTime(buildDir)],
  });
  const blob = path.join(buildDir, blobName(process.version));
  // Written aside and renamed, so a synth starting meanwhile never reads half a blob.
  const scratch = `${blob}.${process.pid}`;
  try {
    // The warm-up synthesizes into a temporary folder; under `cdk8s synth` the library would also
    // copy that into $CDK8S_OUTDIR, where the CLI lists (or prints) whatever it finds.
    const { CDK8S_OUTDIR: _cliOutdir, ...env } = process.env;
    const made = spawnSync(process.execPath, ['--snapshot-blob', scratch, '--build-snapshot', bundle], { cwd: buildDir, encoding: 'utf8', env: { ...env, NODE_OPTIONS: '' } });
    // Node warns that it has not verified every built-in it loads in a snapshot; the tests check the output.
    if (made.status !== 0) throw new Error(`node --build-snapshot failed (exit ${made.status}):\n${made.stderr}`);
    fs.renameSync(scratch, blob);
  } finally {
    fs.rmSync(bundle, { force: true });
    fs.rmSync(scratch, { force: true });
  }
}

main(path.resolve(process.argv[2])).catch((error) => {
  console.error(`The startup snapshot was not made: ${error.message}`);
  process.exitCode = 1;
});
