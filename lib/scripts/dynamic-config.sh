#!/usr/bin/env bash
# Run by start-zookeeper.sh before every start of the server when the membership is dynamic
# (ZK_MEMBERSHIP=dynamic). Writes <dataDir>/zoo.cfg, the file the server runs with, and prints its
# path: the ConfigMap's zoo.cfg (fresh at every start, so its changes apply) plus
# `dynamicConfigFile=`, the server list this member starts from. ZooKeeper writes every new
# membership next to the static file it was started with and rewrites that file to point at it, so
# both live on the data volume, where the membership outlives the pod (docs/membership-design.md).
#
# The server list, in this order:
# 1. The newest `<dataDir>/zoo.cfg.dynamic.<hex version>` (ZooKeeper's own) when it lists this
#    member. An older membership than the ensemble's is fine: the server adopts the newer one from
#    its peers. One that does not list this member (never added, or removed) would make the server
#    exit ("My id N not in the peer list").
# 2. Else as a JOINER: the ensemble's current membership, read from /zookeeper/config through the
#    client Service, plus this member's own line only (never other joiners: joiners alone must never
#    be a majority), written UNVERSIONED as <dataDir>/zoo.cfg.dynamic, without its `version=` line
#    (ZooKeeper refuses one there). Version 0 makes the server adopt the leader's membership and
#    follow as a non-voter until membership-watch.sh adds it.
# 3. Else, when nothing accepts connections at the client Service, or (with several bootstrap
#    voters) what does gives no membership (members of the list already started, waiting for a
#    quorum): the bootstrap list (the ensemble's first membership), only for a voter of it whose
#    volume never held anything (an observer is always a joiner), and for ordinal 0 alone only if
#    the StatefulSet asks for one server (and nothing accepts connections): "nobody answers" may
#    mean the ensemble is down, not unborn, and a member that starts alone then would lead a
#    second ensemble of its own.
# 4. Else it waits and asks again, logging every 30 s; it never starts alone.
#
# ZooKeeper writes a new zoo.cfg.dynamic.<version> at every reconfig and never deletes an old one:
# all but the newest few are removed here, while the server is not running.
#
# Environment: as membership-common.sh, plus ZK_CLIENT_SERVICE (the client Service's DNS name),
# ZK_BOOTSTRAP_CFG (the mounted bootstrap list), ZK_BOOTSTRAP_VOTERS; ZK_JOIN_POLL_SECONDS and
# ZK_CONFIG_QUERY_SECONDS (tests; default 5 and 10).
set -euo pipefail
source "${BASH_SOURCE[0]%/*}/membership-common.sh"

log() { echo "dynamic-config: member $myid: $*" >&2; }
poll=${ZK_JOIN_POLL_SECONDS:-5}
txnlog_dir=$(setting dataLogDir)
txnlog_dir=${txnlog_dir:-$data_dir}

# The dynamic files ZooKeeper wrote on this volume, oldest first (the version is the hex suffix).
dynamic_files() {
  local file
  for file in "$data_dir"/zoo.cfg.dynamic.*; do
    [[ -f $file && $file =~ \.dynamic\.([0-9a-f]+)$ ]] && printf '%d %s\n' "0x${BASH_REMATCH[1]}" "$file"
  done | sort -n | cut -d' ' -f2-
}
newest_dynamic_file() { dynamic_files | tail -n 1; }

# Removes all but the newest DYNAMIC_FILES_KEPT versioned files (never the one chosen).
prune_dynamic_files() {
  local file removed=0
  while read -r file; do
    [[ -n $file && $file != "$dynamic_file" ]] || continue
    rm -f -- "$file" && removed=$((removed + 1))
  done < <(dynamic_files | head -n "-$DYNAMIC_FILES_KEPT")
  ((removed == 0)) || log "removed $removed old membership file(s), keeping the newest $DYNAMIC_FILES_KEPT"
}
DYNAMIC_FILES_KEPT=5

# Whether this member's volumes never held anything: no transaction, no snapshot, no membership,
# nothing set aside by recover-data.sh.
never_used() {
  local dir
  for dir in "$data_dir" "$txnlog_dir"; do
    compgen -G "$dir/version-2/*" >/dev/null && return 1
    [[ ! -e $dir/set-aside ]] || return 1
  done
  ! compgen -G "$data_dir/zoo.cfg.dynamic.*" >/dev/null
}

# Prints the ensemble's current server lines, from whichever member the client Service reaches.
# Fails with 1 when nothing accepts connections there (then no JVM is started: the first start of
# an ensemble finds nobody at once), with 2 when something does but gives no membership (an
# ensemble exists, it may be busy).
current_membership() {
  local port output
  port=$(setting secureClientPort)
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' client-check "$ZK_CLIENT_SERVICE" "${port:-$ZK_CLIENT_PORT}" 2>/dev/null || return 1
  output=$(ZK_CLI_SERVER=$ZK_CLIENT_SERVICE timeout "${ZK_CONFIG_QUERY_SECONDS:-10}" bash "$scripts_dir/zk-cli.sh" config 2>&1) || true
  grep -E '^server\.[0-9]+=' <<<"$output" && return
  log "$ZK_CLIENT_SERVICE accepts connections but gave no membership within ${ZK_CONFIG_QUERY_SECONDS:-10} s: $(grep -v '^\s*at ' <<<"$output" | grep . | tail -n 1 | cut -c1-300)"
  return 2
}

# write_dynamic_file LINES: the unversioned dynamic file, replaced atomically.
write_dynamic_file() {
  printf '%s\n' "$1" >"$data_dir/zoo.cfg.dynamic.tmp"
  mv "$data_dir/zoo.cfg.dynamic.tmp" "$data_dir/zoo.cfg.dynamic"
  echo "$data_dir/zoo.cfg.dynamic"
}

choose() {
  local newest members answer bootstrap_ok='' since=$SECONDS logged=''
  newest=$(newest_dynamic_file)
  if [[ -n $newest ]] && grep -q "^server\.$myid=" "$newest"; then
    log "starting from its last membership, $(basename "$newest")"
    echo "$newest"
    return
  fi
  [[ -z $newest ]] || log "its last membership ($(basename "$newest")) does not list it (it was removed); joining anew"
  if ! is_observer && never_used && ((ordinal < ZK_BOOTSTRAP_VOTERS)); then
    bootstrap_ok=yes
  fi
  while true; do
    answer=0
    members=$(current_membership) || answer=$?
    if ((answer == 0)); then
      if grep -q "^server\.$myid=" <<<"$members"; then
        log "the ensemble already lists it; starting from the ensemble's membership (it syncs from the leader)"
      else
        log "joining: the ensemble's membership plus itself ($member_role); it follows as a non-voter until it is added"
        members+=$'\n'$(own_line)
      fi
      write_dynamic_file "$members"
      return
    fi
    # With several bootstrap voters, members of the list that started first accept connections
    # but serve nothing until enough of the list joins them: that too is "no ensemble to join",
    # or the later members of a first start would wait for them forever.
    if [[ -n $bootstrap_ok ]] && { ((ZK_BOOTSTRAP_VOTERS > 1)) || { ((answer == 1)) && [[ $(desired_voters 2>/dev/null) == 1 ]]; }; }; then
      log "no member serves a membership and its volume never held anything: starting from the bootstrap list (ordinal $ordinal of $ZK_BOOTSTRAP_VOTERS)"
      write_dynamic_file "$(grep -E '^server\.[0-9]+=' "$ZK_BOOTSTRAP_CFG")"
      return
    fi
    if ((answer == 1)) && { [[ -z $logged ]] || ((SECONDS - logged >= 30)); }; then
      log "no member answers at $ZK_CLIENT_SERVICE ($((SECONDS - since)) s) and it may not start the ensemble on its own; waiting"
      logged=$SECONDS
    fi
    sleep "$poll"
  done
}

dynamic_file=$(choose)
prune_dynamic_files
# The ConfigMap's entries, without any server list of its own (the dynamic file holds it).
grep -v -E '^(server\.[0-9]+|dynamicConfigFile)=' "$ZK_ZOO_CFG" >"$data_dir/zoo.cfg.tmp" || true
echo "dynamicConfigFile=$dynamic_file" >>"$data_dir/zoo.cfg.tmp"
mv "$data_dir/zoo.cfg.tmp" "$data_dir/zoo.cfg"
echo "$data_dir/zoo.cfg"
