#!/usr/bin/env bash
# Init container of every ZooKeeper member, run once before supervisord starts.
# Creates the data and transaction-log directories on the member's volumes and writes myid,
# derived from the StatefulSet ordinal at the end of the pod name.
#
# Environment (set by the pod spec):
#   POD_NAME       the pod's name, `<statefulset>-<ordinal>`
#   ZK_FIRST_MYID  the myid of ordinal 0
#   ZK_DATA_DIR    dataDir from zoo.cfg
#   ZK_TXNLOG_DIR  dataLogDir from zoo.cfg (the same as ZK_DATA_DIR without a separate volume)
set -euo pipefail

fail() {
  echo "init-data: $*" >&2
  exit 1
}

ordinal=${POD_NAME##*-}
[[ $ordinal =~ ^[0-9]+$ ]] || fail "cannot read an ordinal from pod name '$POD_NAME'"
myid=$((10#$ordinal + ZK_FIRST_MYID))
((myid >= 1 && myid <= 255)) || fail "myid $myid is outside 1..255 (ordinal $ordinal)"

mkdir -p "$ZK_DATA_DIR" "$ZK_TXNLOG_DIR"
for dir in "$ZK_DATA_DIR" "$ZK_TXNLOG_DIR"; do
  [[ -w $dir ]] || fail "$dir is not writable by uid $(id -u); check the pod's fsGroup and the volume's ownership"
done

# A volume that already belongs to another member would make this server claim that member's
# history: refuse to start instead of corrupting the ensemble.
myid_file="$ZK_DATA_DIR/myid"
if [[ -f $myid_file ]]; then
  existing=$(<"$myid_file")
  [[ $existing == "$myid" ]] || fail "$myid_file says $existing but this pod is member $myid; the volume belongs to another member"
else
  printf '%s\n' "$myid" >"$myid_file.tmp"
  mv "$myid_file.tmp" "$myid_file"
fi
echo "init-data: member $myid ready (data $ZK_DATA_DIR, transaction log $ZK_TXNLOG_DIR)"
