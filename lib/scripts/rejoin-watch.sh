#!/usr/bin/env bash
# Run by supervisord beside ZooKeeper (the `rejoin-watch` program) in every member of an ensemble of
# more than one server. It restarts the local server, once, when the server has been stuck in
# leader election although a leader has been reachable for a while: the state a member is left in
# after a long network partition (docs/partitions.md, "What TCP adds after long cuts").
#
# Why a restart helps: the member's election connection to a peer, opened before the cut, stays
# open through it with unacknowledged data that Linux retransmits with exponential back-off (up to
# 120 s between tries). ZooKeeper opens no new connection while it believes the old one is alive,
# so after the heal the member waits for the next retransmission, about a minute after a 150 s cut.
# A restarted server has no such connection: it dials every peer afresh, and a peer with a higher
# id drops its own stale connection when the member dials it.
#
# "In election" is the AdminServer's `zabstate` ("" or ELECTION; DISCOVERY and SYNCHRONIZATION are
# a member syncing, however long that takes, and BROADCAST a member serving). "A leader is
# reachable" is a peer's quorum port accepting a TCP connection: only a leader listens there. The
# restart comes when both have held for their bounds, and again for the same stall only after a
# back-off that doubles, so a member that cannot join for another reason (a skipped TLS step, say)
# is restarted now and then, never in a loop.
#
# Argument: the supervisord.conf to reach supervisord through.
# Environment: ZK_ZOO_CFG, the zoo.cfg the server runs with (set by the pod spec); with
# ZK_MEMBERSHIP=dynamic the server runs with <dataDir>/zoo.cfg instead, and the server lines are
# those of the dynamic file it names, read afresh at each look (the membership changes); and, set by
# tests (the pod leaves the defaults):
#   REJOIN_ELECTION_SECONDS  how long in election before anything is done (default 20)
#   REJOIN_LEADER_SECONDS    how long a leader must have been reachable meanwhile (default 5)
#   REJOIN_BACKOFF_SECONDS   the least time between two restarts, doubled each time (default 60, at most 960)
#   REJOIN_POLL_SECONDS      how often to look (default 2)
#   REJOIN_RESTART           the restart command (default: supervisorctl restart zookeeper)
set -euo pipefail
export LC_ALL=C

zoo_cfg=$ZK_ZOO_CFG
supervisord_conf=$1
election_seconds=${REJOIN_ELECTION_SECONDS:-20}
leader_seconds=${REJOIN_LEADER_SECONDS:-5}
backoff=${REJOIN_BACKOFF_SECONDS:-60}
poll=${REJOIN_POLL_SECONDS:-2}
log() { echo "rejoin-watch: $*" >&2; }
setting() { sed -n "s/^$1=//p" "$zoo_cfg" | tail -n 1; }

restart() {
  if [[ -n ${REJOIN_RESTART:-} ]]; then
    bash -c "$REJOIN_RESTART"
  else
    supervisorctl -c "$supervisord_conf" restart zookeeper
  fi
}

# The AdminServer's zabstate, or "down" when it does not answer (the server is starting or stopped).
zab_state() {
  local reply
  reply=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET /commands/zabstate HTTP/1.0\r\n\r\n" >&3 && cat <&3' \
    zabstate "$admin_port" 2>/dev/null) || { echo down; return; }
  [[ $reply =~ \"zabstate\"\ *:\ *\"([A-Z]*)\" ]] || { echo down; return; }
  echo "${BASH_REMATCH[1]:-ELECTION}"
}

# "<myid> <host> <quorum port>" per server.
servers() {
  local dynamic_file
  dynamic_file=$(setting dynamicConfigFile)
  cat "$zoo_cfg" ${dynamic_file:+"$dynamic_file"} 2>/dev/null | sed -n 's/^server\.\([0-9]*\)=\([^:]*\):\([0-9]*\):.*/\1 \2 \3/p'
}

# The first peer whose quorum port accepts a connection: only a leader listens there.
reachable_leader() {
  local id host port
  while read -r id host port; do
    [[ $id == "$myid" ]] && continue
    if timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' leader-check "$host" "$port" 2>/dev/null; then
      echo "$id"
      return
    fi
  done < <(servers)
}

admin_port=$(setting admin.serverPort)
admin_port=${admin_port:-8080}
myid=$(<"$(setting dataDir)/myid")
[[ ${ZK_MEMBERSHIP:-static} != dynamic ]] || zoo_cfg=$(setting dataDir)/zoo.cfg

electing_since=''
leader_since=''
next_restart=0
while sleep "$poll"; do
  now=$(date +%s)
  state=$(zab_state)
  if [[ $state != ELECTION ]]; then
    electing_since=''
    leader_since=''
    continue
  fi
  electing_since=${electing_since:-$now}
  leader=$( ((now - electing_since >= election_seconds - leader_seconds)) && reachable_leader || true)
  if [[ -z $leader ]]; then
    leader_since=''
    continue
  fi
  leader_since=${leader_since:-$now}
  ((now - electing_since >= election_seconds && now - leader_since >= leader_seconds && now >= next_restart)) || continue
  log "member $myid: in leader election for $((now - electing_since)) s while member $leader has led (its quorum port answers) for $((now - leader_since)) s; restarting the server so that it dials its peers afresh (a connection left from a network cut can hold it back for minutes)"
  restart || log "member $myid: the restart failed; trying again after the back-off"
  next_restart=$((now + backoff))
  backoff=$((backoff * 2 > 960 ? 960 : backoff * 2))
  electing_since=''
  leader_since=''
done
