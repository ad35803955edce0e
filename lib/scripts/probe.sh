#!/usr/bin/env bash
# Kubernetes exec probe of a ZooKeeper member, run by the kubelet inside the main container.
#   probe.sh live   startup and liveness: the local server answers `ruok` with `imok`. This
#                   holds whether or not the member is in a quorum, so a minority partition is
#                   never restarted in a loop.
#   probe.sh ready  readiness: `srvr` reports a serving mode (leader, follower, observer or
#                   standalone), i.e. the member is part of a quorum and can take requests.
# Uses bash's /dev/tcp, which behaves the same in every image (nc flavours differ).
#
# Environment (set by the pod spec):
#   ZK_CLIENT_PORT  the plaintext client port, reached on 127.0.0.1
set -euo pipefail

four_letter_word() {
  local reply=''
  exec 3<>"/dev/tcp/127.0.0.1/${ZK_CLIENT_PORT}" || return 1
  printf '%s' "$1" >&3
  # The server writes its answer and closes the connection; read until then.
  IFS= read -r -d '' -t 4 reply <&3 || true
  exec 3<&-
  printf '%s' "$reply"
}

case ${1:-} in
  live)
    reply=$(four_letter_word ruok)
    [[ $reply == imok ]] || { echo "ruok answered '${reply}'" >&2; exit 1; }
    ;;
  ready)
    reply=$(four_letter_word srvr)
    if [[ $reply =~ Mode:\ (leader|follower|observer|standalone) ]]; then
      echo "serving as ${BASH_REMATCH[1]}"
    else
      echo "not serving: ${reply:-no answer}" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: probe.sh live|ready" >&2
    exit 2
    ;;
esac
