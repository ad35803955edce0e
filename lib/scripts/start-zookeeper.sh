#!/usr/bin/env bash
# Started by supervisord as the `zookeeper` program: runs the server in the foreground, as
# supervisord's direct child (exec), so stop signals and exit codes reach supervisord unchanged.
#
# Environment (set by the pod spec):
#   ZK_JAVA                  absolute path of java
#   ZK_CLASSPATH             the server's classpath
#   ZK_HEAP_MIB              heap size, derived at synth time from the memory limit
#   ZK_NON_HEAP_RESERVE_MIB  memory the JVM needs besides the heap (metaspace, threads, buffers)
#   ZK_MEMORY_LIMIT_MIB      the container's memory limit as the kubelet sees it (resourceFieldRef)
#   ZK_JVM_OPTIONS           file with the other JVM options, one per line
#   ZK_ZOO_CFG               the zoo.cfg to run with
#   ZK_RECOVER_FROM          (optional) see recover-data.sh
#   ZK_MEMBERSHIP            (optional) `dynamic`: the server list lives on the data volume, see
#                            dynamic-config.sh; ZK_SUPER_PASSWORD_FILE (optional) then says where
#                            this start's super password is kept (default /tmp/zookeeper-super/password)
set -euo pipefail

# The heap was sized for the memory limit at synth time; if someone lowered the limit later (a
# kustomize patch, a LimitRange), the JVM would be OOM-killed under load. Fail loudly instead,
# with the same rule synthesis applies: heap plus the non-heap reserve must fit the limit.
if ((ZK_HEAP_MIB + ZK_NON_HEAP_RESERVE_MIB > ZK_MEMORY_LIMIT_MIB)); then
  echo "start-zookeeper: heap ${ZK_HEAP_MIB} MiB plus ${ZK_NON_HEAP_RESERVE_MIB} MiB for the rest of the JVM does not fit the container memory limit ${ZK_MEMORY_LIMIT_MIB} MiB; re-synthesize with the new limit" >&2
  exit 1
fi

zoo_cfg=$ZK_ZOO_CFG
options=("@${ZK_JVM_OPTIONS}")
if [[ ${ZK_MEMBERSHIP:-static} == dynamic ]]; then
  # The membership scripts change the ensemble (reconfig) as this server's super user, over
  # loopback only. Its password is new at every start and never leaves the pod: kept 0600 in the
  # pod's own scratch space, and the server is given only its digest, through an options file so
  # that not even the digest shows on a command line. A follower forwards a reconfig with the
  # identities its session proved to that follower, so each member's own password is enough.
  credential=${ZK_SUPER_PASSWORD_FILE-}
  credential=${credential:-/tmp/zookeeper-super/password}
  (
    umask 077
    mkdir -p "${credential%/*}"
    head -c 32 /dev/urandom | base64 | tr -d '\n/+=' >"$credential.tmp"
    echo >>"$credential.tmp"
    mv "$credential.tmp" "$credential"
    digest=super:$(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha1(b"super:" + sys.stdin.buffer.read().strip()).digest()).decode())' <"$credential")
    echo "-Dzookeeper.DigestAuthenticationProvider.superDigest=$digest" >"$credential.jvm-options"
  )
  options+=("@$credential.jvm-options")
  zoo_cfg=$("${BASH:-bash}" "${BASH_SOURCE[0]%/*}/dynamic-config.sh")
elif [[ -f ${ZK_ZOO_CFG%/*}/zoo.cfg.dynamic.bootstrap ]] && ! grep -q '^server\.' "$ZK_ZOO_CFG"; then
  # A pod created before its ensemble switched to the dynamic membership, whose server restarts
  # before the roll replaces the pod: its ConfigMap volume already holds the dynamic zoo.cfg, which
  # lists no server, and its env still says static. The bootstrap list of a switched ensemble is
  # its static voters (the app takes it from them), so the server runs with that list, as the
  # joiner-less first membership, from a copy on the data volume (ZooKeeper writes the membership
  # it learns next to it). The roll brings the pod's own env; dynamic-config.sh then starts from
  # what this run wrote there.
  data_dir=$(sed -n 's/^dataDir=//p' "$ZK_ZOO_CFG" | tail -n 1)
  grep -E '^server\.[0-9]+=' "${ZK_ZOO_CFG%/*}/zoo.cfg.dynamic.bootstrap" >"$data_dir/zoo.cfg.dynamic.tmp"
  mv "$data_dir/zoo.cfg.dynamic.tmp" "$data_dir/zoo.cfg.dynamic"
  { grep -v -E '^dynamicConfigFile=' "$ZK_ZOO_CFG"; echo "dynamicConfigFile=$data_dir/zoo.cfg.dynamic"; } >"$data_dir/zoo.cfg.tmp"
  mv "$data_dir/zoo.cfg.tmp" "$data_dir/zoo.cfg"
  echo "start-zookeeper: zoo.cfg lists no server and this pod predates the dynamic membership: running with the bootstrap list (the static voters) until the roll replaces the pod" >&2
  zoo_cfg=$data_dir/zoo.cfg
fi

# Sets aside what the server could not load, and holds an empty member until it can sync from a leader.
"${BASH:-bash}" "${BASH_SOURCE[0]%/*}/recover-data.sh" "$zoo_cfg"

exec "$ZK_JAVA" "-Xms${ZK_HEAP_MIB}m" "-Xmx${ZK_HEAP_MIB}m" "${options[@]}" \
  -cp "$ZK_CLASSPATH" org.apache.zookeeper.server.quorum.QuorumPeerMain "$zoo_cfg"
