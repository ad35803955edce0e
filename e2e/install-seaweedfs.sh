#!/usr/bin/env bash
# Installs SeaweedFS's `weed`, a real S3-compatible object store, for the e2e scenarios of the
# backup's S3 target (22.6 to 22.9). Called by e2e/setup.sh (step 7) and by the harness
# (e2e/s3-server.ts), which runs the binary in a container on the e2e network; prints the
# binary's path on stdout, progress on stderr.
#
# SeaweedFS is in no Debian release and no container registry is reachable from these machines,
# so it is built from its Go module, through the Go module proxy, with the Go toolchain on the
# machine. The build goes into the project's cache outside the repository and is kept: a second
# call returns at once. The module's go.mod has replace directives, so `go install module@version`
# refuses it: the module's source is downloaded and built in a copy instead.
#
# Environment (optional): CDK8S_ZOOKEEPER_CACHE (default ~/.cache/cdk8s-zookeeper).
set -euo pipefail

MODULE=github.com/seaweedfs/seaweedfs
VERSION=v0.0.0-20261109003541-7506e5f91cd6
CACHE=${CDK8S_ZOOKEEPER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-zookeeper}
BIN=$CACHE/seaweedfs/$VERSION/weed

log() { printf 'install-seaweedfs: %s\n' "$*" >&2; }

if [[ -x $BIN ]] && "$BIN" version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi
# One build at a time (setup.sh starts one in the background; the harness may call this too):
# the second waits for the first and then finds the binary.
mkdir -p "$(dirname "$BIN")"
exec 8>"$(dirname "$BIN").lock"
flock -w 3600 8 || { log "ERROR: another build of SeaweedFS has held $(dirname "$BIN").lock for an hour"; exit 1; }
if [[ -x $BIN ]] && "$BIN" version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null 2>&1 || { log "ERROR: Go is needed to build SeaweedFS $VERSION (https://go.dev/dl/)"; exit 1; }

# The module and build caches live in the project's cache too, so nothing else of the machine changes.
export GOPATH=$CACHE/go GOCACHE=$CACHE/go-build GOFLAGS="-mod=readonly -buildvcs=false"
start=$SECONDS
log "building $MODULE/weed@$VERSION into $BIN (several minutes on 2 cores the first time) ..."
src=$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -d $src ]] || { log "ERROR: go mod download gave no source directory for $MODULE@$VERSION"; exit 1; }
work=$CACHE/seaweedfs/$VERSION/src
rm -rf "$work"
cp -r "$src" "$work"
chmod -R u+w "$work"
(cd "$work" && go build -o "$BIN.tmp" ./weed)
mv "$BIN.tmp" "$BIN"
rm -rf "$work"
log "built $("$BIN" version | head -1) in $((SECONDS - start)) s"
echo "$BIN"
