#!/usr/bin/env bash
# Smoke check of an image built from image/apache/Containerfile: a standalone server started the
# way the pod starts it (supervisord running java on the profile's classpath, as uid 1001, on a
# read-only root filesystem) must
#   1. report the expected version from org.apache.zookeeper.Version on that classpath;
#   2. serve Prometheus metrics on 7000 through the native provider, with ZooKeeper's own series;
#   3. answer on the AdminServer (Jetty) on 8080;
#   4. put ZooKeeper's log lines, formatted by logback with the given logback.xml, on the
#      container log.
# The image build already checks the layout; this proves the jars work together at run time.
# Run by hand or by the e2e harness after e2e/setup.sh (whose CONTAINERS_CONF it needs):
#   CONTAINERS_CONF=e2e/containers.conf bash e2e/image-smoke.sh localhost/cdk8s-zookeeper:3.8.4 3.8.4
# Prints one line per check to stderr; exits non-zero on the first that fails.
set -euo pipefail

image=${1:?usage: image-smoke.sh IMAGE ZOOKEEPER_VERSION}
version=${2:?usage: image-smoke.sh IMAGE ZOOKEEPER_VERSION}
: "${CONTAINERS_CONF:?set CONTAINERS_CONF as e2e/setup.sh prints it}"
classpath="/apache-zookeeper-${version}-bin/lib/*"
# Marks lines that went through the logback.xml below, not logback's default console format.
log_marker=SMOKE-LOGBACK

log() { printf 'image-smoke %s: %s\n' "$image" "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

work=$(mktemp -d)
container=''
cleanup() {
  [[ -z $container ]] || podman rm -f -t 0 "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# 1. Version, from the classpath the profile names.
# The first line: logback's default configuration adds a line when the JVM exits.
reported=$(podman run --rm --network=none "$image" \
  java -XX:-UsePerfData -cp "$classpath" org.apache.zookeeper.Version) \
  || fail "org.apache.zookeeper.Version does not run from $classpath"
reported=${reported%%$'\n'*}
[[ $reported == "$version" || $reported == "$version"-* ]] || fail "Version reports '$reported', expected $version"
log "version: $reported"

mkdir -p "$work/conf"
cat >"$work/conf/zoo.cfg" <<EOF
tickTime=2000
dataDir=/var/lib/zookeeper
dataLogDir=/var/lib/zookeeper-txnlog
clientPort=2181
admin.enableServer=true
admin.serverAddress=127.0.0.1
admin.serverPort=8080
4lw.commands.whitelist=ruok,mntr
metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
metricsProvider.httpHost=127.0.0.1
metricsProvider.httpPort=7000
EOF
cat >"$work/conf/logback.xml" <<EOF
<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>$log_marker %d{ISO8601} [myid:%X{myid}] %-5p [%t] %c{1} - %m%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="CONSOLE"/></root>
</configuration>
EOF
cat >"$work/conf/supervisord.conf" <<EOF
[supervisord]
nodaemon=true
logfile=/dev/null
logfile_maxbytes=0
pidfile=/run/supervisord/supervisord.pid

[program:zookeeper]
command=/usr/bin/java -Xmx256m -Dlogback.configurationFile=/conf/logback.xml -cp "$classpath" org.apache.zookeeper.server.quorum.QuorumPeerMain /conf/zoo.cfg
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
redirect_stderr=true
autorestart=false
EOF
chmod -R a+rX "$work/conf"

# No network: every check runs over the container's own loopback. Anonymous volumes for the data
# directories, as a pod's volumes; they go with the container.
container=$(podman run -d --network=none --read-only --tmpfs /tmp --tmpfs /run/supervisord \
  -v "$work/conf:/conf:ro" -v /var/lib/zookeeper -v /var/lib/zookeeper-txnlog \
  "$image" /usr/bin/supervisord -c /conf/supervisord.conf)

# http_get PORT PATH: the body of a GET on the container's loopback (bash's /dev/tcp: the image
# has no HTTP client, and needs none).
http_get() {
  # shellcheck disable=SC2016 # expanded by the container's bash
  podman exec "$container" bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$2" >&3
    sed "1,/^\r$/d" <&3' bash "$1" "$2" 2>/dev/null
}

# 2. Metrics: wait (bounded) until the provider serves ZooKeeper's series, not only the JVM's.
metrics=''
for _ in $(seq 1 60); do
  metrics=$(http_get 7000 /metrics || true)
  grep -q '^znode_count ' <<<"$metrics" && break
  sleep 0.5
done
grep -q '^znode_count ' <<<"$metrics" || {
  podman logs "$container" >&2 || true
  fail "no znode_count series on :7000/metrics within 30 s"
}
grep -q '^jvm_threads_current ' <<<"$metrics" || fail "no JVM series (simpleclient_hotspot) on :7000/metrics"
log "metrics: $(grep -c '^[a-z]' <<<"$metrics") samples on :7000/metrics, znode_count $(awk '/^znode_count /{print $2}' <<<"$metrics")"

# 3. AdminServer.
ruok=$(http_get 8080 /commands/ruok || true)
grep -q '"command" *: *"ruok"' <<<"$ruok" || fail "AdminServer on :8080 answered '$ruok'"
log "AdminServer: /commands/ruok answered"

# 4. Logging: ZooKeeper's own lines, through logback.xml, on the container log.
logs=$(podman logs "$container" 2>&1)
grep -q "^$log_marker .* - binding to port" <<<"$logs" \
  || grep -q "^$log_marker .*NIOServerCnxnFactory" <<<"$logs" \
  || fail "no ZooKeeper line formatted by logback.xml on the container log"
log "logging: $(grep -c "^$log_marker" <<<"$logs") lines through logback.xml on the container log"
log "all checks passed"
