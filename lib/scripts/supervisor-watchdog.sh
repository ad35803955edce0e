#!/usr/bin/env bash
# supervisord event listener (the [eventlistener:watchdog] section), subscribed to
# PROCESS_STATE_FATAL. supervisord restarts a program that dies while running, but a program that
# cannot even start (FATAL after startretries) would leave a live container with nothing in it.
# This stops supervisord in that case, so the container exits and the kubelet sees the failure.
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
  echo "watchdog: ${event%% *} ${payload}: stopping supervisord so the container exits" >&2
  printf 'RESULT 2\nOK'
  kill -TERM "$PPID"
done
