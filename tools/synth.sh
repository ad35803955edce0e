#!/usr/bin/env bash
# The synth, as package.json (`npm run synth`) and cdk8s.yaml run it from the project's root.
# From the startup snapshot this Node made of the library (tools/snapshot.js), when build/ has one:
# it checks the sources itself and runs the user's build/main.js (tools/snapshot-entry.js).
# Otherwise, or when NODE_OPTIONS asks for V8 flags the snapshot was not made with, the same app
# from disk (tools/fresh-build.js), which also makes the snapshot for the next run.
set -euo pipefail
tools="${BASH_SOURCE[0]%/*}"
# node -r takes a bare path for a package name
[[ $tools == /* ]] || tools="./$tools"
blob="$tools/../build/synth-$(node --version).blob"
if [[ -f $blob && -z ${NODE_OPTIONS:-} ]]; then
  exec node --snapshot-blob "$blob" "$@"
fi
exec node -r "$tools/fresh-build.js" "$tools/../build/main.js" "$@"
