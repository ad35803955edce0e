#!/usr/bin/env bash
# Run by supervisord beside ZooKeeper (the `membership` program) in every member when the
# membership is dynamic. It never takes the member down; every ~2 s it compares the ensemble's
# voters with the desired number, the StatefulSet's spec.replicas (ordinals 0..replicas-1 vote):
#
# (a) This server is a non-voter in sync with the leader (AdminServer `zabstate`: voting false,
#     broadcast) and its ordinal is below the desired number: a joiner started by
#     dynamic-config.sh, or a member removed earlier and wanted again. It adds itself
#     (`reconfig -add`). Only a synced server is added: ZooKeeper accepts the add of a server that
#     is down whenever the other voters are a majority without it, which would only lower the
#     ensemble's fault tolerance. Joiners are added in ordinal order: one adds itself only once
#     every lower ordinal votes, so that the voters stay ordinals 0..k-1 and no voter has a higher
#     server id than a joiner. With quorum SASL that matters: of two members, the one with the
#     higher id keeps the election connection, and a voter dialling a server that is not in its
#     voting view skips the SASL authentication (ZooKeeper 3.8 QuorumCnxManager.startConnection),
#     so a joiner requiring SASL refuses it and cannot see that voter follow: with a voter above it
#     it would wait in election for ever (e2e 31).
# (b) This server leads: it removes, one at a time, every voter whose ordinal is at or above the
#     desired number. Those leave by their preStop hook (leave-ensemble.sh); this catches a pod
#     deleted without running it (deleted while not running, or its hook timed out). Likewise every
#     observer whose ordinal is at or above the observers' StatefulSet's replicas.
#
# An observer (the observers' StatefulSet; desired = its replicas) is a joiner that ZooKeeper runs
# as a non-voting follower until the membership lists it: once in sync, it adds itself with its
# observer line, and ZooKeeper turns it into an observer.
#
# A change that fails (another reconfig in progress, the session lost, the server restarting) is
# tried again at the next look, from the membership as the server then reports it: a removal that
# committed although its session was lost is not made twice.
#
# Environment: as membership-common.sh; ZK_MEMBERSHIP_POLL_SECONDS (tests; default 2).
set -euo pipefail
source "${BASH_SOURCE[0]%/*}/membership-common.sh"

log() { echo "membership-watch: member $myid: $*" >&2; }
poll=${ZK_MEMBERSHIP_POLL_SECONDS:-2}
api_error_logged=''
order_logged=''

# The lowest server id below this member's that does not vote, or nothing.
first_lower_non_voter() {
  local id
  for ((id = ZK_FIRST_MYID; id < myid; id++)); do
    is_voter "$id" || { echo "$id"; return; }
  done
}

while sleep "$poll"; do
  read_local_state && [[ $zab == broadcast ]] || continue
  if ! desired=$(desired_voters 2>&1) || [[ ! $desired =~ ^[0-9]+$ ]]; then
    # Logged once a minute at most: a wrong Role or NetworkPolicy would otherwise fill the log.
    if [[ -z $api_error_logged ]] || ((SECONDS - api_error_logged >= 60)); then
      log "cannot read the StatefulSet's replicas: ${desired##*$'\n'}"
      api_error_logged=$SECONDS
    fi
    continue
  fi
  api_error_logged=''
  if is_observer; then
    if ((ordinal < desired)) && observers=$(config_observers) && ! grep -qx "$myid" <<<"$observers"; then
      log "in sync and ordinal $ordinal < $desired desired observers, but not listed: adding itself as an observer"
      if reconfig -add "$(own_line)"; then
        log "added: it observes now"
      else
        log "the add did not commit ($reconfig_error); trying again"
      fi
    fi
    continue
  fi
  if [[ $voting == false ]] && ((ordinal < desired)); then
    lower=$(first_lower_non_voter)
    if [[ -n $lower ]]; then
      [[ -n $order_logged ]] || log "in sync as a non-voter; waiting for member $lower to vote first (joiners are added in ordinal order)"
      order_logged=yes
      continue
    fi
    order_logged=''
    log "in sync as a non-voter and ordinal $ordinal < $desired desired voters: adding itself"
    if reconfig -add "$(own_line)"; then
      log "added: it votes now"
    else
      log "the add did not commit ($reconfig_error); trying again"
    fi
    continue
  fi
  [[ $leads == true ]] || continue
  for id in $voters; do
    ((id != myid && id - ZK_FIRST_MYID >= desired)) || continue
    log "member $id (ordinal $((id - ZK_FIRST_MYID))) still votes although the StatefulSet wants $desired: removing it"
    if reconfig -remove "$id"; then
      log "removed member $id"
    else
      log "the removal of member $id did not commit ($reconfig_error); trying again"
    fi
    break
  done
  # The observers, with their own StatefulSet's replicas; none while it cannot be read.
  wanted_observers=$(desired_observers 2>/dev/null) && [[ $wanted_observers =~ ^[0-9]+$ ]] || continue
  for id in $(config_observers); do
    ((id - ZK_OBSERVER_FIRST_MYID >= wanted_observers)) || continue
    log "observer $id (ordinal $((id - ZK_OBSERVER_FIRST_MYID))) is still listed although its StatefulSet wants $wanted_observers: removing it"
    if reconfig -remove "$id"; then
      log "removed observer $id"
    else
      log "the removal of observer $id did not commit ($reconfig_error); trying again"
    fi
    break
  done
done
