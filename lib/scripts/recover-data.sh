#!/usr/bin/env bash
# Run by start-zookeeper.sh before every start of the server (supervisord's first start and each
# restart), with the zoo.cfg the server is about to read. It keeps a member whose volume holds
# something the server cannot load out of a crash loop, and keeps an empty member from electing a
# leader that has no history:
#
# 1. A newest snapshot that ZooKeeper would not accept (truncated: it does not end with the seal
#    ZooKeeper writes last) is moved into <dataDir>/set-aside/<UTC time>/, and so on while the
#    newest is unreadable. With an older snapshot left, the server loads it and replays the
#    transaction logs after it.
# 2. With no readable snapshot left but transaction logs present, ZooKeeper 3.8 refuses to start
#    ("No snapshot found, but there are log entries"); the logs are set aside too, and the member
#    starts empty and takes a full copy from the leader. Logs on their own volume (dataLogDir) are
#    set aside on that volume: moving them would copy gigabytes onto the data volume.
# 3. An empty member waits until a peer leads (a leader is the only member listening on the
#    quorum port) before its server starts, when its data was set aside (it may not help form a
#    quorum with no history) or when ZK_RECOVER_FROM names a survivor (see docs/recovery.md): then
#    only the lowest-numbered other voter starts empty at once, so any quorum formed before there
#    is a leader holds the survivor, whose vote only goes to a member with all it has.
#
# Argument: the zoo.cfg to run with (its server lines, or those of the dynamic file it names).
# Environment: ZK_RECOVER_FROM (optional), the pod name of the member whose data the ensemble is
# rebuilt from; ZK_LEADER_POLL_SECONDS (optional, default 2).
set -euo pipefail
export LC_ALL=C

zoo_cfg=$1
log() { echo "recover-data: $*" >&2; }
setting() { sed -n "s/^$1=//p" "$zoo_cfg" | tail -n 1; }

data_dir=$(setting dataDir)
txnlog_dir=$(setting dataLogDir)
txnlog_dir=${txnlog_dir:-$data_dir}
[[ -n $data_dir ]] || { log "$zoo_cfg sets no dataDir"; exit 1; }
myid=$(<"$data_dir/myid")
stamp=$(date -u +%Y%m%dT%H%M%SZ)
set_aside_roots=("$data_dir/set-aside" "$txnlog_dir/set-aside")

# ZooKeeper's own test of a plain snapshot file (SnapStream.isValidSnapshot): at least 10 bytes,
# ending with the 4-byte length 1 and "/", the seal written after the checksum.
sealed() {
  local size
  size=$(stat -c %s "$1")
  ((size >= 10)) && [[ $(tail -c 5 "$1" | od -An -tx1 | tr -d ' \n') == 000000012f ]]
}

# set_aside DIR FILE...: moves the files into DIR/set-aside/<stamp>/, on the volume that holds them.
set_aside() {
  set_aside_dir="$1/set-aside/$stamp"
  mkdir -p "$set_aside_dir"
  mv "${@:2}" "$set_aside_dir/"
}

# Newest first: the zxid in the name is hexadecimal.
snapshots() {
  local file
  for file in "$data_dir"/version-2/snapshot.*; do
    [[ -f $file && $file =~ /snapshot\.([0-9a-f]+)$ ]] && printf '%d %s\n' "0x${BASH_REMATCH[1]}" "$file"
  done | sort -rn | cut -d' ' -f2-
}

readable=''
while IFS= read -r snapshot; do
  if sealed "$snapshot"; then
    readable=$snapshot
    break
  fi
  set_aside "$data_dir" "$snapshot"
  log "member $myid: snapshot $(basename "$snapshot") is truncated (no seal at its end), ZooKeeper cannot load it; set aside into $set_aside_dir"
done < <(snapshots)

shopt -s nullglob
logs=("$txnlog_dir"/version-2/log.*)
if [[ -z $readable && ${#logs[@]} -gt 0 ]]; then
  set_aside "$txnlog_dir" "${logs[@]}"
  log "member $myid: no readable snapshot left for ${#logs[@]} transaction log(s); logs set aside into $set_aside_dir: this member starts empty and takes a full copy from the leader"
  logs=()
fi

[[ -z $readable && ${#logs[@]} -eq 0 ]] || exit 0

# An empty member from here on.
# "<myid> <host> <quorum port> <role>" per server; the role is participant unless the line says observer.
# With a dynamic membership the server lines are in the file zoo.cfg names (dynamic-config.sh).
dynamic_file=$(setting dynamicConfigFile)
servers=$(cat "$zoo_cfg" ${dynamic_file:+"$dynamic_file"} | sed -n 's/^server\.\([0-9]*\)=\([^:]*\):\([0-9]*\):[0-9]*\(.*\)/\1 \2 \3 \4/p' |
  awk '{ print $1, $2, $3, ($4 ~ /^:observer/ ? "observer" : "participant") }')
reason=''
for root in "${set_aside_roots[@]}"; do
  [[ -d $root ]] && reason="its data was set aside (see $root)"
done
if [[ -z $reason && -n ${ZK_RECOVER_FROM:-} ]]; then
  survivor=$(awk -v pod="$ZK_RECOVER_FROM" '$2 == pod || index($2, pod ".") == 1 { print $1; exit }' <<<"$servers")
  [[ -n $survivor ]] || { log "ZK_RECOVER_FROM=$ZK_RECOVER_FROM names no member of $zoo_cfg"; exit 1; }
  first=$(awk -v survivor="$survivor" '$1 != survivor && $4 == "participant" { print $1 }' <<<"$servers" | sort -n | head -n 1)
  if ((myid == survivor)); then
    log "member $myid: ZK_RECOVER_FROM names this member, but its volume is empty: refusing to start; name the member that holds the data"
    exit 1
  elif ((myid == first)); then
    log "member $myid: empty, rebuilding from $ZK_RECOVER_FROM (member $survivor): the first empty member starts now and follows it"
  else
    reason="the ensemble is being rebuilt from $ZK_RECOVER_FROM (member $survivor) and member $first joins it first"
  fi
fi
[[ -n $reason ]] || exit 0

log "member $myid: empty and $reason; waiting for a peer to lead before starting, so that it syncs from it"
waited=0
while true; do
  while read -r id host port _; do
    [[ $id == "$myid" ]] && continue
    if timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' leader-check "$host" "$port" 2>/dev/null; then
      log "member $myid: member $id leads (its quorum port $port answers) after ${waited} s; starting to sync from it"
      exit 0
    fi
  done <<<"$servers"
  ((waited % 30 == 0)) && log "member $myid: still waiting for a leader (${waited} s); no peer listens on its quorum port"
  sleep "${ZK_LEADER_POLL_SECONDS:-2}"
  waited=$((waited + ${ZK_LEADER_POLL_SECONDS:-2}))
done
