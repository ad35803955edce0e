# Sourced by the dynamic-membership scripts (dynamic-config.sh, membership-watch.sh,
# leave-ensemble.sh): who this member is, what it is told, and how it changes the ensemble's
# membership. Nothing here runs in the static mode.
#
# Environment (set by the pod spec): ZK_ZOO_CFG (the ConfigMap's zoo.cfg), ZK_FIRST_MYID,
# ZK_STATEFULSET, ZK_NAMESPACE, ZK_POD_NAME (or POD_NAME), ZK_PEER_DOMAIN, ZK_QUORUM_PORT,
# ZK_ELECTION_PORT, ZK_CLIENT_PORT, and what zk-cli.sh and membership-state.py read;
# ZK_SUPER_PASSWORD_FILE (optional) where start-zookeeper.sh keeps this server's super password.
# Tests may set ZK_RECONFIG_SECONDS, the deadline of one ZooKeeper session (default 20).
export LC_ALL=C

scripts_dir=${BASH_SOURCE[0]%/*}
super_credential=${ZK_SUPER_PASSWORD_FILE-}
super_credential=${super_credential:-/tmp/zookeeper-super/password}

# A zoo.cfg value from the ConfigMap's file, or nothing.
setting() { sed -n "s/^$1=//p" "$ZK_ZOO_CFG" | tail -n 1; }

data_dir=$(setting dataDir)
myid=$(<"$data_dir/myid")
ordinal=$((myid - ZK_FIRST_MYID))
pod_name=${ZK_POD_NAME:-${POD_NAME:-$ZK_STATEFULSET-$ordinal}}
admin_port=$(setting admin.serverPort)
admin_port=${admin_port:-8080}

# Its role in the membership: an observer's zoo.cfg (the observers' StatefulSet's) says
# peerType=observer. Observers never vote, never start an ensemble, and join and leave as observers.
member_role=participant
[[ $(setting peerType) != observer ]] || member_role=observer
is_observer() { [[ $member_role == observer ]]; }

# This member's line in a dynamic file, in the bootstrap list's form. With TLS-only clients the
# plain client port listens on loopback only, and the line says so.
own_line() {
  local address
  address=$(setting clientPortAddress)
  printf 'server.%s=%s.%s:%s:%s:%s;%s\n' "$myid" "$pod_name" "$ZK_PEER_DOMAIN" "$ZK_QUORUM_PORT" \
    "$ZK_ELECTION_PORT" "$member_role" "${address:+$address:}$ZK_CLIENT_PORT"
}

# The ids the running server's membership lists as observers, one a line: from the dynamic file its
# zoo.cfg on the data volume names, which ZooKeeper rewrites at every committed reconfig (the
# AdminServer's voting_view lists voters only). Fails when there is no such file yet.
config_observers() {
  local file
  file=$(sed -n 's/^dynamicConfigFile=//p' "$data_dir/zoo.cfg" 2>/dev/null | tail -n 1)
  [[ -n $file && -f $file ]] || return 1
  sed -n -E 's/^server\.([0-9]+)=.*:observer(;.*)?$/\1/p' "$file"
}

# The desired number of observers (their StatefulSet's spec.replicas), for the leader's watch;
# fails when the ensemble has no observers' StatefulSet or the API does not answer.
desired_observers() {
  [[ -n ${ZK_OBSERVER_STATEFULSET-} ]] || return 1
  ZK_STATEFULSET=$ZK_OBSERVER_STATEFULSET python3 "$scripts_dir/membership-state.py" replicas
}

# The desired number of voters (the StatefulSet's spec.replicas); fails when the API does not answer.
desired_voters() { python3 "$scripts_dir/membership-state.py" replicas; }

# Sets voting, zab, leads and voters (a space-separated list of ids) from the local AdminServer;
# fails when the server does not answer.
read_local_state() {
  local line voter_list
  line=$(python3 "$scripts_dir/membership-state.py" local "$admin_port" 2>/dev/null) || return 1
  read -r voting zab leads voter_list <<<"$line"
  voters=${voter_list//,/ }
  [[ $voters != - ]] || voters=''
}

is_voter() { [[ " $voters " == *" $1 "* ]]; }

# reconfig ARGS: one `reconfig ARGS` as this server's super user, in a session with its own
# server, within ZK_RECONFIG_SECONDS. Succeeds only when ZooKeeper printed the committed
# configuration (a piped ZooKeeperMain exits 0 after some failures, and may send the command while
# still connecting). On failure, sets reconfig_error to ZooKeeper's reason, if it gave one.
reconfig() {
  local output
  reconfig_error=''
  output=$(printf 'reconfig %s\nquit\n' "$*" |
    ZK_CLI_SUPER_PASSWORD_FILE=$super_credential timeout "${ZK_RECONFIG_SECONDS:-20}" bash "$scripts_dir/zk-cli.sh" 2>&1) || true
  [[ $output == *'Committed new configuration:'* ]] && return 0
  reconfig_error=$(grep -o -m 1 -E 'KeeperErrorCode = [A-Za-z ]+|Insufficient permission|[A-Za-z]+Exception[^,]*' <<<"$output" || true)
  reconfig_error=${reconfig_error:-no answer within ${ZK_RECONFIG_SECONDS:-20} s}
  return 1
}
