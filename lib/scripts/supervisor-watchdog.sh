#!/usr/bin/env bash
# supervisord event listener (the [eventlistener:watchdog] section), subscribed to
# PROCESS_STATE_FATAL. supervisord restarts a program that dies while running, but a program that
# cannot even start (FATAL after startretries) would leave a live container with nothing in it.
# This stops supervisord in that case, so the container exits and the kubelet restarts it with
# back-off. supervisord exits with code 0 after any signal, so the reason also goes to the
# kubelet's termination message (`kubectl describe pod` shows it under Last State).
#
# Only the program named by WATCHED_PROGRAM (ZooKeeper) counts: a side program such as the metrics
# exporter must never take the server down with it.
#
# Environment: WATCHED_PROGRAM  the supervisord program whose FATAL state stops supervisord
#              TERMINATION_LOG  where the kubelet reads the termination message
#                               (default /dev/termination-log)
#
# Protocol: stdout belongs to supervisord (READY, then RESULT); messages go to stderr.
set -euo pipefail
export LC_ALL=C

while true; do
  printf 'READY\n'
  IFS= read -r header
  length=${header##*len:}
  length=${length%% *}
  payload=''
  if ((length > 0)); then
    IFS= read -r -N "$length" payload
  fi
  event=${header##*eventname:}
  program=${payload#processname:}
  program=${program%% *}
  if [[ $program != "${WATCHED_PROGRAM:?}" ]]; then
    echo "watchdog: ${event%% *} ${payload}: not ${WATCHED_PROGRAM}, ignored" >&2
    printf 'RESULT 2\nOK'
    continue
  fi
  message="watchdog: ${event%% *} ${payload}: stopping supervisord so the container exits"
  echo "$message" >&2
  printf '%s\n' "$message" >"${TERMINATION_LOG:-/dev/termination-log}" 2>/dev/null || true
  printf 'RESULT 2\nOK'
  kill -TERM "$PPID"
done
