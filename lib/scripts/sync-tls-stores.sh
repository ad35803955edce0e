#!/usr/bin/env bash
# Keeps the TLS keystores ZooKeeper reads equal to the ones in the member's Secret volume.
#   sync-tls-stores.sh exec COMMAND...  supervisord's `zookeeper` program with TLS: copies the
#                                       current stores, then execs COMMAND (start-zookeeper.sh),
#                                       so every (re)started server starts with them
#   sync-tls-stores.sh watch            supervisord's `tls-sync` program: compares every
#                                       ZK_TLS_SYNC_SECONDS and copies what changed
#   sync-tls-stores.sh once             copies what changed, once
#
# Why copies: the kubelet updates a Secret volume by pointing its hidden `..data` symlink at a new
# directory; the visible files are symlinks into it and never change themselves. ZooKeeper 3.8
# reloads a store (sslQuorumReloadCertFiles, client.certReload) only when the watch on the store's
# directory reports a created or modified entry named like the store (X509Util.handleWatchEvent),
# so it would keep a renewed certificate's predecessor until it restarts, and the quorum would fail
# once that expired. Each copy here is renamed into place: the rename is such an event.
#
# Environment (set by the pod spec):
#   ZK_TLS_SOURCE_DIR    the Secret volume with keystore.p12 and truststore.p12
#   ZK_TLS_DIR           where ZooKeeper reads them (an in-memory emptyDir)
#   ZK_TLS_SYNC_SECONDS  seconds between two comparisons in `watch`
set -euo pipefail
umask 077

STORES=(keystore.p12 truststore.p12)

fail() {
  echo "sync-tls-stores: $*" >&2
  exit 1
}

digest() {
  sha256sum <"$1" | cut -d' ' -f1
}

sync_once() {
  local store source target
  for store in "${STORES[@]}"; do
    source="$ZK_TLS_SOURCE_DIR/$store"
    target="$ZK_TLS_DIR/$store"
    [[ -r $source ]] || fail "$source is missing or unreadable: the TLS Secret must have the key $store"
    if [[ ! -f $target ]] || [[ $(digest "$source") != "$(digest "$target")" ]]; then
      # Copy beside the target, then rename: ZooKeeper never reads a half-written store.
      cp "$source" "$ZK_TLS_DIR/.$store.$$"
      mv -f "$ZK_TLS_DIR/.$store.$$" "$target"
      echo "sync-tls-stores: $store copied from the Secret ($(digest "$target" | cut -c1-12))"
    fi
  done
}

case ${1:-} in
  once)
    sync_once
    ;;
  exec)
    shift
    (($# > 0)) || fail "exec needs a command"
    sync_once
    exec "$@"
    ;;
  watch)
    while true; do
      sync_once
      sleep "${ZK_TLS_SYNC_SECONDS:?}"
    done
    ;;
  *)
    echo "usage: sync-tls-stores.sh once|watch|exec COMMAND..." >&2
    exit 2
    ;;
esac
