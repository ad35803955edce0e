// @ts-check
// Loaded by tools/fresh-build.js before the synth. Finding the file behind each of the synth's
// ~170 require() calls (stat calls, package.json reads, realpath) took a tenth of a run; the
// answers never change while neither build/ nor node_modules/ does. They are kept in
// build/.resolve-cache.json, which a rebuild discards with build/, and which is used only while
// node_modules/.package-lock.json (rewritten by every npm install) has the hash recorded with it.
// Only where a file is found is cached, never its code: every module is still read from disk.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const CACHE = path.join(ROOT, 'build', '.resolve-cache.json');

/** The hash of what npm installed, or undefined without npm's record of it (then nothing is cached). */
function installedPackages() {
  try {
    return crypto.createHash('sha1').update(fs.readFileSync(path.join(ROOT, 'node_modules', '.package-lock.json'))).digest('hex');
  } catch {
    return undefined;
  }
}

function cacheResolutions() {
  const packages = installedPackages();
  if (packages === undefined) return;
  /** @type {Record<string, string>} */
  let found = {};
  try {
    const cache = JSON.parse(fs.readFileSync(CACHE, 'utf8'));
    if (cache.packages === packages) found = cache.found;
  } catch {
    // First run after a build: every resolution is computed, then recorded.
  }
  let added = false;
  // @ts-expect-error Module._resolveFilename is Node's own resolver, not in @types/node
  const resolve = /** @type {(request: string, parent: Module | undefined, isMain: boolean, options?: object) => string} */ (Module._resolveFilename);
  // @ts-expect-error as above
  Module._resolveFilename = function cachedResolve(request, parent, isMain, options) {
    if (options !== undefined || !parent?.filename) return resolve.call(this, request, parent, isMain, options);
    const key = `${path.dirname(parent.filename)}\0${request}`;
    const cached = found[key];
    if (cached !== undefined) return cached;
    const filename = resolve.call(this, request, parent, isMain, options);
    if (path.isAbsolute(filename)) {
      found[key] = filename;
      added = true;
    }
    return filename;
  };
  process.once('exit', () => {
    if (!added || !fs.existsSync(path.dirname(CACHE))) return;
    try {
      const scratch = `${CACHE}.${process.pid}`;
      fs.writeFileSync(scratch, JSON.stringify({ packages, found }));
      fs.renameSync(scratch, CACHE);
    } catch {
      // Not recorded this time (a read-only checkout, say): the next run resolves again.
    }
  });
}

module.exports = { cacheResolutions };
