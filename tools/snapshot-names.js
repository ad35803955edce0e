// @ts-check
// Names shared by tools/snapshot.js (which builds the startup snapshot), tools/snapshot-entry.js
// (which runs from it) and tools/synth.sh (which picks it: keep the file name in step there).
'use strict';

/** One snapshot per Node version: a blob loads only into the Node that made it. */
const blobName = (/** @type {string} */ version) => `synth-${version}.blob`;

/** The global function the bundle calls for a module's folder: see tools/snapshot.js. */
const DIRNAME_OF = '__zkSnapshotDirnameOf';

module.exports = { blobName, DIRNAME_OF };
