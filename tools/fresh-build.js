// @ts-check
// Preloaded by the synth (`node -r ./tools/fresh-build.js build/main.js`, in package.json and
// cdk8s.yaml) before Node reads build/main.js: the app never runs code older than its sources.
// When a source changed since the last build, it compiles first (with type-check, a few seconds);
// a compile error stops the run before anything is written. Then it keeps where each module was
// found (tools/resolve-cache.js).
'use strict';
const { build, isFresh } = require('./build');

if (!isFresh()) {
  console.error('The sources changed since the last build: compiling them first (npm run build).');
  if (!build()) {
    console.error('Nothing was written: the previous output is unchanged. Fix the errors above and run again.');
    process.exit(1);
  }
}

require('./resolve-cache').cacheResolutions();
