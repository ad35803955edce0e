#!/bin/bash
# Figures of docs/backup.md: backup and restore durations and sizes for 10k and 100k znodes.
# Run by hand (`bash bench/backup.sh`) after e2e/setup.sh has built the images; it uses the local
# 3.8.4 image for a standalone server and for the tool (lib/scripts/ZooKeeperBackup.java, run as
# the CronJob runs it: read-only root, /tmp in memory, 512 MiB), and the e2e client image to write
# the trees (e2e/backup/tree.py). Everything it creates is named zkbench-* and removed at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF="$ROOT/e2e/containers.conf"
IMAGE=localhost/cdk8s-zookeeper:3.8.4
CLIENT=localhost/cdk8s-zookeeper-e2e-client:latest
LIB=/apache-zookeeper-3.8.4-bin/lib
NET=zkbench-net
WORK=$(mktemp -d /tmp/zkbench.XXXXXX)

cleanup() {
  podman rm -f -t0 zkbench-source zkbench-target >/dev/null 2>&1 || true
  podman network rm -f "$NET" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/tool" "$WORK/backups" "$WORK/tree"
cp "$ROOT/lib/scripts/ZooKeeperBackup.java" "$WORK/tool/"
cp "$ROOT/e2e/backup/tree.py" "$WORK/tree/"
printf '<configuration><root level="WARN"/></configuration>\n' >"$WORK/tool/logback.xml"
chmod 0777 "$WORK/backups"
podman network create "$NET" >/dev/null

server() {
  podman rm -f -t0 "$1" >/dev/null 2>&1 || true
  podman run -d --name "$1" --network "$NET:alias=$1" "$IMAGE" java -Xmx1g \
    -Dzookeeper.4lw.commands.whitelist=srvr -Dzookeeper.admin.enableServer=false \
    -cp "$LIB/*" org.apache.zookeeper.server.ZooKeeperServerMain 2181 /tmp/data >/dev/null
  sleep 5
}

tool() {
  local server=$1
  shift
  podman run --rm --network "$NET" --read-only --tmpfs /tmp --memory 512m \
    -v "$WORK/tool:/opt/zookeeper-backup:ro" -v "$WORK/backups:/backup" \
    -e ZK_CONNECT="$server:2181" -e ZK_BACKUP_DIR=/backup "$IMAGE" \
    java -XX:MaxRAMPercentage=60 -Djava.io.tmpdir=/tmp -Dlogback.configurationFile=/opt/zookeeper-backup/logback.xml \
    -cp "$LIB/*" /opt/zookeeper-backup/ZooKeeperBackup.java "$@"
}

tree() {
  podman run --rm --network "$NET" -v "$WORK/tree:/t:ro" --entrypoint python3 "$CLIENT" /t/tree.py "$@" >/dev/null
}

server zkbench-source
written=0
for total in 10000 100000; do
  tree write --hosts zkbench-source:2181 --root "/bench-$total" --count $((total - written))
  written=$total
  rm -f "$WORK"/backups/*
  start=$EPOCHREALTIME
  manifest=$(tool zkbench-source backup | sed -n 's/.* written to [^ ]*: //p')
  pod_ms=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
  fields=$(python3 -c 'import json,sys; m=json.loads(sys.argv[1]); print(m["znodes"], m["bytes"], m["dataBytes"], m["durationMs"], m["exact"])' "$manifest")
  read -r znodes bytes data_bytes backup_ms exact <<<"$fields"
  server zkbench-target
  start=$EPOCHREALTIME
  restored=$(tool zkbench-target restore latest | sed -n 's/.* in \([0-9]*\) ms; the ensemble equals the backup.*/\1/p')
  restore_pod_ms=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
  [[ -n $restored ]] || { echo "restore of $znodes znodes failed" >&2; exit 1; }
  printf '| %s | %s | %s | %s (exact: %s) | %s | %s | %s |\n' "$znodes" "$data_bytes" "$bytes" "$backup_ms" "$exact" "$pod_ms" "$restored" "$restore_pod_ms"
  podman rm -f -t0 zkbench-target >/dev/null
done
