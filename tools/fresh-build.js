// @ts-check
// Preloaded by the synth from disk (tools/synth.sh, when build/ has no startup snapshot for this
// Node, runs `node -r ./tools/fresh-build.js build/main.js`) before Node reads build/main.js: the
// app never runs code older than its sources. When a source changed since the last build, it
// compiles first (with type-check, a few seconds); a compile error stops the run before anything
// is written. Then it keeps where each module was found (tools/resolve-cache.js).
'use strict';
const fs = require('fs');
const path = require('path');
const { ensureFresh, makeSnapshot, BUILD } = require('./build');
const { blobName } = require('./snapshot-names');

ensureFresh();

// tools/synth.sh came here because build/ has no startup snapshot for this Node (another Node
// than the build's, say): made now, for the next run.
if (!fs.existsSync(path.join(BUILD, blobName(process.version)))) makeSnapshot(BUILD);

require('./resolve-cache').cacheResolutions();
