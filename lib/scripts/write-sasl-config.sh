#!/usr/bin/env bash
# Builds ZooKeeper's SASL configuration from the member's SASL Secret volume, then execs COMMAND.
#   write-sasl-config.sh exec COMMAND...  supervisord's `zookeeper` program with SASL on: writes
#                                         the JAAS file (and the super digest's JVM option), then
#                                         execs COMMAND (start-zookeeper.sh)
#   write-sasl-config.sh once             writes them and exits (for tests)
#   write-sasl-config.sh client USER      writes a client JAAS file (a `Client` section logging in
#                                         as USER, one of ZK_SASL_CLIENT_USERS) for zk-cli.sh, and
#                                         prints its path
#
# Run before every start of the JVM, so a (re)started server logs in with the Secret's current
# passwords. The files go to an in-memory volume with mode 0600: passwords never reach a disk, a
# ConfigMap or the java command line (/proc/<pid>/cmdline is readable by every process of the pod's
# user). The super digest is a JVM system property: it is appended to a copy of the JVM options
# file (an @argfile, which java reads itself, so the command line shows only the copy's path), and
# ZK_JVM_OPTIONS points start-zookeeper.sh at the copy.
#
# Environment (set by the pod spec):
#   ZK_SASL_SOURCE_DIR     the Secret volume: quorum-password, client-<user>, super-digest
#   ZK_SASL_DIR            where to write (an in-memory emptyDir)
#   ZK_SASL_QUORUM_USER    set with quorum SASL: the user members log in to each other as
#   ZK_SASL_CLIENT_USERS   set with client SASL: space-separated client user names
#   ZK_SASL_SUPER_DIGEST   `true` when the Secret has a super digest (mounted as super-digest)
#   ZK_JVM_OPTIONS         the JVM options file; with a super digest, replaced by the copy
set -euo pipefail
umask 077

fail() {
  echo "write-sasl-config: $*" >&2
  exit 1
}

# Sets QUOTED to the content of a Secret file as a JAAS quoted string. JAAS reads quoted strings
# with Java's StreamTokenizer: a backslash escapes the next character, a line break ends the
# string. So backslashes and quotes are escaped, and line breaks (often a trailing newline left by
# `kubectl create secret --from-file`) are refused rather than silently dropped. (A variable, not
# output: a failure inside a command substitution would not stop the script.)
quote_secret() {
  local file=$ZK_SASL_SOURCE_DIR/$1 value
  [[ -r $file ]] || fail "$file is missing or unreadable: the SASL Secret needs the key mounted as $1"
  IFS= read -r -d '' value <"$file" || true
  [[ -n $value ]] || fail "the Secret key mounted as $1 is empty"
  [[ $value != *$'\n'* && $value != *$'\r'* ]] || fail "the Secret key mounted as $1 contains a line break, which a JAAS file cannot hold (a trailing newline from a file?)"
  value=${value//\\/\\\\}
  value=${value//\"/\\\"}
  QUOTED="\"$value\""
}

write_jaas() {
  local user
  if [[ -n ${ZK_SASL_CLIENT_USERS:-} ]]; then
    printf 'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required'
    for user in $ZK_SASL_CLIENT_USERS; do
      quote_secret "client-$user"
      printf '\n  user_%s=%s' "$user" "$QUOTED"
    done
    printf ';\n};\n'
  fi
  if [[ -n ${ZK_SASL_QUORUM_USER:-} ]]; then
    quote_secret quorum-password
    printf 'QuorumServer {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_%s=%s;\n};\n' "$ZK_SASL_QUORUM_USER" "$QUOTED"
    printf 'QuorumLearner {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="%s"\n  password=%s;\n};\n' "$ZK_SASL_QUORUM_USER" "$QUOTED"
  fi
}

write_config() {
  local tmp digest
  [[ -d $ZK_SASL_DIR && -w $ZK_SASL_DIR ]] || fail "$ZK_SASL_DIR is not a writable directory"
  [[ -n ${ZK_SASL_CLIENT_USERS:-}${ZK_SASL_QUORUM_USER:-} ]] || fail "neither ZK_SASL_CLIENT_USERS nor ZK_SASL_QUORUM_USER is set: nothing to authenticate"
  # Written beside the target and renamed: a JVM starting never reads half a file.
  tmp="$ZK_SASL_DIR/.jaas.conf.$$"
  write_jaas >"$tmp"
  mv -f "$tmp" "$ZK_SASL_DIR/jaas.conf"

  if [[ ${ZK_SASL_SUPER_DIGEST:-} == true ]]; then
    [[ -r $ZK_SASL_SOURCE_DIR/super-digest ]] || fail "$ZK_SASL_SOURCE_DIR/super-digest is missing or unreadable: the SASL Secret needs the super digest key"
    IFS= read -r -d '' digest <"$ZK_SASL_SOURCE_DIR/super-digest" || true
    # user:base64(SHA-1), as DigestAuthenticationProvider prints it: nothing an @argfile would
    # split or unquote.
    [[ $digest =~ ^[A-Za-z0-9._-]+:[A-Za-z0-9+/]{27}=$ ]] \
      || fail "the super digest must look like super:<27 base64 characters>= (DigestAuthenticationProvider's output), without a line break"
    tmp="$ZK_SASL_DIR/.jvm.options.$$"
    { cat "${ZK_JVM_OPTIONS:?}"; printf '%s\n' "-Dzookeeper.DigestAuthenticationProvider.superDigest=$digest"; } >"$tmp"
    mv -f "$tmp" "$ZK_SASL_DIR/jvm.options"
    export ZK_JVM_OPTIONS=$ZK_SASL_DIR/jvm.options
  fi
  echo "write-sasl-config: JAAS configuration written${ZK_SASL_CLIENT_USERS:+ (client users: $ZK_SASL_CLIENT_USERS)}${ZK_SASL_QUORUM_USER:+ (quorum user: $ZK_SASL_QUORUM_USER)}${ZK_SASL_SUPER_DIGEST:+ (with a super user)}"
}

# A client's login, for a shell in the member (zk-cli.sh): the same Secret file, the same quoting.
write_client_config() {
  local user=$1 file
  [[ " ${ZK_SASL_CLIENT_USERS:-} " == *" $user "* ]] || fail "$user is not a client user of this ensemble (${ZK_SASL_CLIENT_USERS:-none})"
  quote_secret "client-$user"
  file="$ZK_SASL_DIR/client-$user.jaas.conf"
  printf 'Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="%s"\n  password=%s;\n};\n' "$user" "$QUOTED" >"$file.$$"
  mv -f "$file.$$" "$file"
  printf '%s\n' "$file"
}

case ${1:-} in
  client)
    (($# == 2)) || fail "client needs a user name"
    write_client_config "$2"
    ;;
  once)
    write_config
    ;;
  exec)
    shift
    (($# > 0)) || fail "exec needs a command"
    write_config
    exec "$@"
    ;;
  *)
    echo "usage: write-sasl-config.sh once|exec COMMAND...|client USER" >&2
    exit 2
    ;;
esac
