#!/usr/bin/env bash
# Writes the lock file of one build of image/apache/Containerfile: the sha256 of every jar that
# pom.xml resolves for a ZooKeeper version and a Prometheus provider version. The image build
# refuses a lib/ that differs from its lock file in any jar, name or byte.
#
#   bash image/apache/lock.sh 3.9.4          # provider of the same release
#   bash image/apache/lock.sh 3.8.4 3.8.3    # provider of another release
#
# Run by a maintainer (not by builds) on a machine with Maven and a JDK that reaches Maven
# Central; review the diff before committing it: a jar whose hash changed for an existing
# version is a red flag, not an update.
set -euo pipefail

zookeeper_version=${1:?usage: lock.sh ZOOKEEPER_VERSION [PROMETHEUS_PROVIDER_VERSION]}
provider_version=${2:-$zookeeper_version}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lock="$here/lock/zookeeper-${zookeeper_version}_provider-${provider_version}.sha256"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/pom.xml" "$work/"
# --strict-checksums: a jar whose checksum does not match the repository's fails here too.
mvn -B -q --strict-checksums -f "$work/pom.xml" \
  -Dzookeeper.version="$zookeeper_version" -Dprometheus.provider.version="$provider_version" \
  dependency:copy-dependencies >&2
(cd "$work/target/lib" && LC_ALL=C sha256sum -- *.jar) >"$lock"
echo "wrote $lock ($(wc -l <"$lock") jars)" >&2
