// @ts-check
// Compiles the app and the library (main.ts, lib/, imports/: tsconfig.build.json) to build/, as
// JavaScript and .d.ts, type-checked. build/.sources.json records every file the compile read with
// its hash, so tools/fresh-build.js can tell in a few milliseconds, without loading TypeScript,
// whether build/ still matches the sources. Plain JavaScript: it must run before anything is built.
//   npm run build      (`npm ci`, a git install and `npm pack` run it through `prepare`)
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const BUILD = path.join(ROOT, 'build');
const MANIFEST = path.join(BUILD, '.sources.json');
/** What decides the output besides the sources the compile reads (the snapshot holds these tools too). */
const RECIPE = ['tsconfig.json', 'tsconfig.build.json', 'tools/build.js', 'tools/snapshot.js', 'tools/snapshot-entry.js', 'tools/snapshot-names.js'];
/**
 * The startup snapshot also holds cdk8s and the other dependencies: npm rewrites this file on every
 * install, so a build is stale once npm installed anything. Recorded only where npm keeps it.
 */
const INSTALLED = 'node_modules/.package-lock.json';

/** @param {string} file relative to the project root */
function hashOf(file) {
  return crypto.createHash('sha1').update(fs.readFileSync(path.join(ROOT, file))).digest('hex');
}

/** Whether build/ was compiled from exactly the files as they are now (a missing file counts as changed). */
function isFresh() {
  let recorded;
  try {
    recorded = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  } catch {
    return false;
  }
  return Object.entries(recorded).every(([file, hash]) => {
    try {
      return hashOf(file) === hash;
    } catch {
      return false;
    }
  });
}

/**
 * What a synth does first (tools/fresh-build.js, tools/snapshot-entry.js): compiles when a source
 * changed; a compile error ends the process before anything is written.
 * @returns whether build/ was fresh already
 */
function ensureFresh() {
  if (isFresh()) return true;
  console.error('The sources changed since the last build: compiling them first (npm run build).');
  if (!build()) {
    console.error('Nothing was written: the previous output is unchanged. Fix the errors above and run again.');
    process.exit(1);
  }
  return false;
}

/**
 * Compiles into a scratch folder that replaces build/ only when the compile is clean, so build/
 * never holds a half-written or type-incorrect program, nor the output of a deleted source.
 * @returns whether it succeeded; the compiler's messages are on stderr otherwise
 */
function build() {
  const ts = require('typescript');
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (/** @type {import('typescript').Diagnostic} */ d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } };
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.build.json'), {}, host);
  if (!config) throw new Error('tsconfig.build.json cannot be read');
  const scratch = fs.mkdtempSync(path.join(ROOT, '.build-'));
  // mkdtemp makes the folder private (0700); build/ should look like any other folder.
  fs.chmodSync(scratch, 0o777 & ~process.umask());
  try {
    const program = ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, outDir: scratch }, projectReferences: config.projectReferences });
    const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
    if (diagnostics.length > 0) {
      const formatHost = { getCanonicalFileName: (/** @type {string} */ f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
      process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost));
      return false;
    }
    const sources = program.getSourceFiles().map((f) => path.relative(ROOT, f.fileName))
      .filter((f) => !f.startsWith('..') && !f.split(path.sep).includes('node_modules'));
    const installed = fs.existsSync(path.join(ROOT, INSTALLED)) ? [INSTALLED] : [];
    const recorded = Object.fromEntries([...RECIPE, ...installed, ...sources].sort().map((f) => [f.split(path.sep).join('/'), hashOf(f)]));
    fs.writeFileSync(path.join(scratch, path.basename(MANIFEST)), `${JSON.stringify(recorded, null, 1)}\n`);
    makeSnapshot(scratch);
    replaceBuild(scratch);
    return true;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The synth's startup snapshot for this Node (tools/snapshot.js), in `dir`. Without it the synth
 * runs the same code from disk, only slower: a failure is reported, not fatal.
 * @returns whether it was made
 */
function makeSnapshot(/** @type {string} */ dir) {
  const made = spawnSync(process.execPath, [path.join(__dirname, 'snapshot.js'), dir], { encoding: 'utf8' });
  if (made.status !== 0) process.stderr.write(`${made.stderr}The synth runs from build/ without it.\n`);
  return made.status === 0;
}

/** Swaps the scratch folder in; if another build swapped its own in meanwhile, that one stays. */
function replaceBuild(/** @type {string} */ scratch) {
  const old = `${scratch}.old`;
  try {
    fs.renameSync(BUILD, old);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error;
  }
  try {
    fs.renameSync(scratch, BUILD);
  } catch (error) {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(old, { recursive: true, force: true });
  }
}

module.exports = { build, ensureFresh, isFresh, makeSnapshot, BUILD };

if (require.main === module) process.exitCode = build() ? 0 : 1;
