#!/usr/bin/env bash
# ZooKeeper's command line client (zkCli) inside a member, as the README's walkthrough runs it:
#   kubectl -n NS exec -it POD -c zookeeper -- bash /scripts/zk-cli.sh [COMMAND ARGS...]
# Without a command it is an interactive session; with one it runs that command and exits.
#
# It connects to the member's own client port the way the ensemble's clients must: over TLS when
# zoo.cfg has a TLS client port (with the member's stores and the password from its file, the same
# zoo.cfg entries the server reads), and with client SASL as a client user (ZK_CLI_USER, by default
# the first of ZK_SASL_CLIENT_USERS), whose JAAS file write-sasl-config.sh writes into the pod's
# in-memory SASL directory. The release's zkCli.sh is not used: not every image ships bin/ (the
# jars are enough), and its JVM would take a quarter of the container's memory next to the server.
# Hostname verification is off for this loopback connection only: the certificate names the pod's
# DNS names, not 127.0.0.1, and nothing stands between a process and its own pod's loopback.
#
# Environment (set by the pod spec): ZK_JAVA, ZK_CLASSPATH, ZK_ZOO_CFG, ZK_CLIENT_PORT,
# ZK_TOOL_LOGGING_OPTION (the JVM option naming a warnings-only logging config), and with client
# SASL ZK_SASL_CLIENT_USERS, ZK_SASL_SOURCE_DIR and ZK_SASL_DIR; ZK_CLI_USER (optional) picks the user.
# Set by the membership scripts (dynamic membership), both optional:
#   ZK_CLI_SERVER               a host to connect to instead of this member (the client Service), on
#                               the port clients use; over TLS with hostname verification on
#   ZK_CLI_SUPER_PASSWORD_FILE  a file with the password of this server's super user; the session
#                               first runs `addauth digest super:<it>`, then the commands from stdin.
#                               The password never appears on a command line, and the echo of that
#                               first command is masked in the output.
set -euo pipefail

# A zoo.cfg value, or nothing (keys are literal; zoo.cfg has no continuation lines).
cfg() {
  local key=$1 line
  while IFS= read -r line; do
    [[ $line == "$key="* ]] && { printf '%s' "${line#*=}"; return; }
  done <"$ZK_ZOO_CFG"
  return 0
}

options=(-XX:-UsePerfData -XX:+UseSerialGC -Xmx64m "$ZK_TOOL_LOGGING_OPTION")
host=${ZK_CLI_SERVER:-127.0.0.1}
server=$host:$ZK_CLIENT_PORT
secure_port=$(cfg secureClientPort)
if [[ -n $secure_port ]]; then
  server=$host:$secure_port
  options+=(-Dzookeeper.client.secure=true -Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty)
  [[ -n ${ZK_CLI_SERVER:-} ]] || options+=(-Dzookeeper.ssl.hostnameVerification=false)
  for key in ssl.keyStore.location ssl.keyStore.passwordPath ssl.keyStore.type ssl.trustStore.location ssl.trustStore.passwordPath ssl.trustStore.type; do
    value=$(cfg "$key")
    [[ -z $value ]] || options+=("-Dzookeeper.$key=$value")
  done
fi
if [[ -n ${ZK_SASL_CLIENT_USERS:-} ]]; then
  read -r -a users <<<"$ZK_SASL_CLIENT_USERS"
  jaas=$(bash "$(dirname "$0")/write-sasl-config.sh" client "${ZK_CLI_USER:-${users[0]}}")
  options+=("-Djava.security.auth.login.config=$jaas")
fi
if [[ -z ${ZK_CLI_SUPER_PASSWORD_FILE-} ]]; then
  exec "$ZK_JAVA" "${options[@]}" -cp "$ZK_CLASSPATH" org.apache.zookeeper.ZooKeeperMain -server "$server" "$@"
fi
IFS= read -r password <"$ZK_CLI_SUPER_PASSWORD_FILE"
{ printf 'addauth digest super:%s\n' "$password"; cat; } |
  "$ZK_JAVA" "${options[@]}" -cp "$ZK_CLASSPATH" org.apache.zookeeper.ZooKeeperMain -server "$server" "$@" |
  sed -E 's/(addauth digest super:)[^ ]*/\1<hidden>/'
exit "${PIPESTATUS[1]}"
