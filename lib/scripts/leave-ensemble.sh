#!/usr/bin/env bash
# The zookeeper container's preStop hook when the membership is dynamic. A pod that goes away for
# good (its ordinal is at or above the StatefulSet's spec.replicas: a scale-down) removes its
# server from the voters (`reconfig -remove <myid>`) before the server is stopped, so that the
# ensemble's quorum shrinks with it instead of counting a dead voter. A pod that is only restarted
# or rolled (ordinal below replicas) does nothing. Several pods leaving at once are serialized by
# ZooKeeper (ReconfigInProgress) and retried here.
#
# Removing the leader costs one hand-over to another voter (no election round, ~0.2 s without
# writes). The removed server keeps running as a non-voter until the pod's SIGTERM. The leader
# leaves last: removed first, it would hand the leadership to a voter of the new configuration,
# maybe another leaving one, and the ensemble would pay a second hand-over. So a leading member
# waits while other voters at or above replicas are still voters, for at most half of its time,
# then removes itself anyway.
#
# It always exits 0 (a failed hook only delays the pod's deletion), within ZK_LEAVE_SECONDS
# (default 25; the grace period leaves it at least 30 s), and logs what it did. A voter it could
# not remove is removed later by the leader's membership-watch.sh.
#
# An observer (the observers' StatefulSet; desired = its replicas) leaves the same way, as an
# observer.
#
# Environment: as membership-common.sh; ZK_LEAVE_SECONDS (optional); ZK_LEAVE_LOG (tests).
set -uo pipefail
source "${BASH_SOURCE[0]%/*}/membership-common.sh" || exit 0

# The hook's output goes nowhere the operator looks (the kubelet keeps it only for a failed hook):
# also into the container's log, through its main process's stdout (ZK_LEAVE_LOG: tests only).
hook_log=${ZK_LEAVE_LOG:-/proc/1/fd/1}
log() {
  local line="leave-ensemble: member $myid: $*"
  echo "$line" >&2
  { echo "$line" >>"$hook_log"; } 2>/dev/null || true
}
deadline=$(($(date +%s) + ${ZK_LEAVE_SECONDS:-25}))
time_left() { (($(date +%s) < deadline)); }

desired=''
until [[ $desired =~ ^[0-9]+$ ]]; do
  if ! time_left; then
    log "could not read the StatefulSet's replicas (${desired##*$'\n'}); not leaving the voters (the leader removes this member if it is gone for good)"
    exit 0
  fi
  desired=$(desired_voters 2>&1) || sleep 1
done
if ((ordinal < desired)); then
  log "ordinal $ordinal < $desired desired voters: a restart, not a scale-down; staying a voter"
  exit 0
fi

# An observer: removed once a reconfig commits, or when its membership no longer lists it. Its
# leaving costs the ensemble nothing but a copy of the data.
if is_observer; then
  tries=0
  while time_left; do
    if observers=$(config_observers) && ! grep -qx "$myid" <<<"$observers"; then
      ((tries == 0)) && log "ordinal $ordinal >= $desired desired observers, and it is not listed: nothing to do"
      ((tries > 0)) && log "ordinal $ordinal >= $desired desired observers: removed from the membership"
      exit 0
    fi
    ((tries == 0)) && log "ordinal $ordinal >= $desired desired observers: a scale-down; removing itself from the membership"
    tries=$((tries + 1))
    if reconfig -remove "$myid"; then
      log "ordinal $ordinal >= $desired desired observers: removed from the membership"
      exit 0
    fi
    log "the removal did not commit ($reconfig_error); trying again"
    sleep 0.5
  done
  log "still listed after ${ZK_LEAVE_SECONDS:-25} s; giving up (the leader removes this observer once it is gone)"
  exit 0
fi

# The other voters leaving with this one (ordinal at or above the desired number), comma-separated.
others_leaving() {
  local id others=()
  for id in $voters; do
    ((id != myid && id - ZK_FIRST_MYID >= desired)) && others+=("$id")
  done
  (IFS=,; echo "${others[*]}")
}
leader_waits_until=$(($(date +%s) + ${ZK_LEAVE_SECONDS:-25} / 2))

tries=0
waited=false
while time_left; do
  if read_local_state; then
    if ! is_voter "$myid"; then
      ((tries == 0)) && log "ordinal $ordinal >= $desired desired voters, and it is not a voter: nothing to do"
      ((tries > 0)) && log "ordinal $ordinal >= $desired desired voters: removed from the voters (now: ${voters// /,})"
      exit 0
    fi
    others=$(others_leaving)
    if ((tries == 0)) && [[ $leads == true && -n $others ]]; then
      if (($(date +%s) < leader_waits_until)); then
        [[ $waited == true ]] || log "ordinal $ordinal >= $desired desired voters, and it leads: waiting until the other leaving voters ($others) are removed"
        waited=true
        sleep 0.5
        continue
      fi
      log "it leads, and the other leaving voters ($others) are still voters after $((${ZK_LEAVE_SECONDS:-25} / 2)) s: removing itself anyway"
    fi
    ((tries == 0)) && log "ordinal $ordinal >= $desired desired voters: a scale-down; removing itself from the voters (${voters// /,})"
    tries=$((tries + 1))
    if reconfig -remove "$myid"; then
      continue # confirmed by the next look at the membership
    fi
    log "the removal did not commit ($reconfig_error); trying again"
  fi
  sleep 0.5
done
log "still a voter after ${ZK_LEAVE_SECONDS:-25} s; giving up (the leader removes this member once it is gone)"
exit 0
