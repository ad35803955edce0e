#!/usr/bin/env bash
# Prepares a machine for the end-to-end tests. Run by `npm run e2e` (and so by .ci/run) before the
# harness starts; developers can run it by hand:   bash e2e/setup.sh
#
# 1. installs the Debian packages podman needs here (apt-get only when one is missing);
# 2. makes the base image docker.io/library/debian:bookworm-slim with debootstrap when it is not
#    there: these machines reach only deb.debian.org and npm, not Docker Hub;
# 3. builds the Debian image (image/debian/Containerfile), tagged with ImageProfile.debian()'s image;
# 4. builds the Apache release images (image/apache/Containerfile) of APACHE_RELEASES below, in the
#    layout of ImageProfile.apacheRelease(), tagged localhost/cdk8s-zookeeper:<version>;
# 5. builds the e2e client image (e2e/client/Containerfile) on top of the Debian image;
# 6. unpacks the test tools into .tools/ (test/setup-tools.sh); scenario 10 runs its Prometheus on the host;
# 7. builds SeaweedFS (e2e/install-seaweedfs.sh) into ~/.cache/cdk8s-zookeeper, the S3-compatible
#    server of the backup's S3 scenarios (22.6 to 22.9), once: later runs find it there. The build
#    starts before step 1 and runs beside the others; step 7 waits for it.
# Every step is cached: an image is rebuilt only when the hash of what it is built from (its build
# context, build arguments and parent image) differs from the label on the existing image. A run
# with everything in place takes a few seconds.
#
# stdout carries only KEY=VALUE lines for the harness (CONTAINERS_CONF, ZK_E2E_IMAGE (Debian),
# ZK_E2E_CLIENT_IMAGE, and ZK_E2E_IMAGE_384, ZK_E2E_IMAGE_394 (Apache releases)); progress and
# timings go to stderr. Every podman call of the harness must run with the same CONTAINERS_CONF.
#
# Environment (all optional):
#   DEBIAN_MIRROR           default http://deb.debian.org/debian
#   DEBIAN_SECURITY_MIRROR  default http://deb.debian.org/debian-security
#   JAVA_TRUSTSTORE         default /etc/ssl/certs/java/cacerts: the truststore Maven uses in the
#                           Apache image builds (skipped when not readable)
#
# Runs as root, or as a user with sudo for apt-get and debootstrap (podman then runs rootless as
# that user, so the harness must run as the same user).
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME's decimal point, sort order of the hashed files

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(dirname "$E2E_DIR")

export CONTAINERS_CONF="$E2E_DIR/containers.conf"
BASE_IMAGE=docker.io/library/debian:bookworm-slim
HASH_LABEL=io.cdk8s-zookeeper.e2e.build-hash
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
JAVA_TRUSTSTORE=${JAVA_TRUSTSTORE:-/etc/ssl/certs/java/cacerts}
# The Apache ZooKeeper releases built from image/apache (ImageProfile.apacheRelease()), and the
# release whose Prometheus provider each takes where it is not its own. 3.8.4's own provider is missing from the partial
# Maven Central mirror these machines reach; 3.8.3's is the same code with the same simpleclient
# (docs/images.md), and image/apache/lock holds the checked jars of exactly these pairs.
APACHE_RELEASES=(3.8.4 3.9.4)
declare -A PROVIDER_RELEASE=([3.8.4]=3.8.3)

# Packages, not binaries, because several are helpers podman looks for in /usr/lib/podman:
# netavark + aardvark-dns (networks with DNS for --network-alias), catatonit (the infra container
# of every pod, so `podman kube play` and `podman pod create` fail without it), runc (see
# containers.conf), iptables (netavark's NAT rules), iproute2 (the harness fixes the network
# bridge's address, see e2e/cluster.ts), debootstrap + keyring (the base image).
PACKAGES=(podman buildah runc catatonit containernetworking-plugins netavark aardvark-dns iptables
  iproute2 debootstrap debian-archive-keyring)

log() { printf 'e2e-setup: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Timing of each step, printed when it ends.
SETUP_START=$EPOCHREALTIME
STEP_START=$EPOCHREALTIME
micros() { local t=${1/./}; echo $((10#$t)); }
seconds_since() {
  local us=$(($(micros "$EPOCHREALTIME") - $(micros "$1")))
  printf '%d.%01d' $((us / 1000000)) $((us % 1000000 / 100000))
}
step_begin() { STEP_START=$EPOCHREALTIME; log "$1 ..."; }
step_end() { log "$1 ($(seconds_since "$STEP_START") s)"; }

if (($(id -u) == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  die "need root or sudo (apt-get, debootstrap)"
fi

# Two runs at once (two terminals, a re-run while a build is going) would build the same tags;
# the second waits. Bounded so a stuck run does not block the next one forever.
LOCK_FILE=${TMPDIR:-/tmp}/cdk8s-zookeeper-e2e-setup.$(id -u).lock
exec 9>"$LOCK_FILE"
flock -w 1800 9 || die "another e2e/setup.sh has held $LOCK_FILE for 30 minutes"

# Step 7's SeaweedFS build takes many minutes on a cold machine (it compiles from source): it starts
# now, beside steps 1 to 6, which mostly wait on the network, and step 7 waits for it.
SEAWEEDFS_LOG=$(mktemp "${TMPDIR:-/tmp}/cdk8s-zookeeper-seaweedfs.XXXXXX")
bash "$E2E_DIR/install-seaweedfs.sh" >/dev/null 2>"$SEAWEEDFS_LOG" &
SEAWEEDFS_PID=$!

step_begin "test tools (prometheus)"
bash "$ROOT_DIR/test/setup-tools.sh" >&2
step_end "test tools ready"

BASE_WORK=''
cleanup() {
  [[ -n $BASE_WORK && -d $BASE_WORK ]] || return 0
  # A failed debootstrap can leave /proc and /sys mounted inside the target; never delete through
  # them (--one-file-system is the second guard).
  local mounts
  mounts=$(findmnt -rn -o TARGET | grep -F "$BASE_WORK/" | sort -r || true)
  [[ -z $mounts ]] || xargs -r "${as_root[@]}" umount -l <<<"$mounts" || true
  "${as_root[@]}" rm -rf --one-file-system "$BASE_WORK" || log "could not remove $BASE_WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
install_packages() {
  local missing=() package
  for package in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == 'install ok installed' ]] || missing+=("$package")
  done
  if ((${#missing[@]} == 0)); then
    log "packages: all present"
    return 0
  fi
  log "packages: installing ${missing[*]}"
  # env, not export: sudo does not pass the caller's environment on.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive timeout 600 apt-get update -q >&2
  # Recommends would add rootless tooling, dbus and more; what is needed is listed explicitly.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive timeout 900 \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# The configuration of the debootstrapped tree that debian:bookworm-slim has, so that the same
# Containerfile behaves the same on the real image: all three suites, no documentation, no services
# started by package scripts, no apt caches.
slim_rootfs() {
  local rootfs=$1
  # The script runs as root and reads its values from the environment: single quotes are meant.
  # shellcheck disable=SC2016
  "${as_root[@]}" env ROOTFS="$rootfs" MIRROR="$DEBIAN_MIRROR" SECURITY="$DEBIAN_SECURITY_MIRROR" bash -euo pipefail -c '
    cd "$ROOTFS"
    # minbase writes only "bookworm main"; the updates and security suites carry the fixes.
    rm -f etc/apt/sources.list
    cat >etc/apt/sources.list.d/debian.sources <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # Package scripts must not start daemons inside a build (supervisor would try to).
    printf "#!/bin/sh\nexit 101\n" >usr/sbin/policy-rc.d
    chmod 0755 usr/sbin/policy-rc.d
    # Like the official slim image: no man pages, docs (but copyrights) or translations.
    cat >etc/dpkg/dpkg.cfg.d/docker-slim <<EOF
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    cat >etc/apt/apt.conf.d/docker-clean <<EOF
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    printf "Acquire::Languages \"none\";\n" >etc/apt/apt.conf.d/docker-no-languages
    if [[ -d usr/share/doc ]]; then
      find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
      find usr/share/doc -mindepth 1 -type d -empty -delete
    fi
    if [[ -d usr/share/locale ]]; then
      find usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
    fi
    rm -rf usr/share/man/* usr/share/info/* usr/share/groff/* usr/share/lintian/*
    rm -rf var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb var/log/*.log var/log/apt/*
    # The host'"'"'s identity does not belong in an image; podman provides these at run time.
    : >etc/resolv.conf
    : >etc/hostname
    : >etc/machine-id
  '
}

make_base_image() {
  if podman image exists "$BASE_IMAGE"; then
    log "base image: $BASE_IMAGE present"
    return 0
  fi
  # /var/tmp, not $TMPDIR: a tmpfs mounted nodev would break debootstrap's device nodes.
  BASE_WORK=$(mktemp -d /var/tmp/zk-e2e-base.XXXXXX)
  local rootfs="$BASE_WORK/rootfs"
  log "base image: debootstrap bookworm (minbase) from $DEBIAN_MIRROR"
  "${as_root[@]}" timeout 900 debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" \
    >"$BASE_WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$BASE_WORK/debootstrap.log" >&2
    die "debootstrap failed (log above)"
  }
  slim_rootfs "$rootfs"
  log "base image: importing as $BASE_IMAGE"
  # --numeric-owner: the image must carry the tree's uids, not the host's name mapping.
  "${as_root[@]}" tar --numeric-owner -C "$rootfs" -c . |
    timeout 300 podman import --change 'CMD ["bash"]' --message 'debootstrap --variant=minbase bookworm (e2e/setup.sh)' \
      - "$BASE_IMAGE" >/dev/null
  cleanup
  BASE_WORK=''
}

# Hash of a build: every file of the context (path and content) plus extra strings (build
# arguments, the parent image's id). Equal hash = the existing image is what a build would give.
context_hash() {
  local dir=$1
  shift
  {
    # Python byte code is not an input (a local test run of the client may leave some behind).
    (cd "$dir" && find . -type f -not -name '*.pyc' -print0 | sort -z | xargs -0 -r sha256sum)
    printf '%s\n' "$@"
  } | sha256sum | cut -d' ' -f1
}

image_label() {
  podman image inspect --format "{{ index .Labels \"$2\" }}" "$1" 2>/dev/null || true
}

image_id() { podman image inspect --format '{{.Id}}' "$1"; }

# build_cached TAG CONTEXT_DIR CONTAINERFILE HASH [podman build args...]
build_cached() {
  local tag=$1 context=$2 containerfile=$3 hash=$4
  shift 4
  if [[ $(image_label "$tag" "$HASH_LABEL") == "$hash" ]]; then
    log "image $tag: up to date (${hash:0:12})"
    return 0
  fi
  local old_id=''
  podman image exists "$tag" && old_id=$(image_id "$tag")
  log "image $tag: building (${hash:0:12})"
  # --network=host: RUN steps fetch from deb.debian.org; on these VMs that works reliably only
  # through the host's network. --pull=never: the parent is always local (made above).
  timeout 1800 podman build --network=host --pull=never --label "$HASH_LABEL=$hash" \
    -f "$containerfile" -t "$tag" "$@" "$context" >&2
  # The replaced image is now untagged; remove it (only it) so rebuilds do not pile up. It may
  # still be the parent of the client image or used by a container: then it stays.
  if [[ -n $old_id && $old_id != "$(image_id "$tag")" ]]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true
  fi
}

# ---------------------------------------------------------------------------------------------
log "CONTAINERS_CONF=$CONTAINERS_CONF"

step_begin "step 1/7: Debian packages"
install_packages
step_end "step 1/7: Debian packages"

step_begin "step 2/7: what the image profiles expect"
# Tags and layouts come from the profiles, and the client image's tag from the harness that runs
# it, the release images' tags from e2e/dist.ts (single sources of truth); the builds check the
# layouts. Loads only those files, not the whole library. One line per image: tag, classpath,
# binaries, uid, gid.
command -v node >/dev/null 2>&1 || die "node is needed to read lib/image-profile.ts (run npm ci first)"
profiles=$(cd "$ROOT_DIR" && RELEASES="${APACHE_RELEASES[*]}" timeout 60 node --import tsx -e "
  const { ImageProfile } = require('./lib/image-profile');
  const line = (p) => [p.image, p.classpath.join(':'), [p.javaPath, p.supervisordPath, p.bashPath].join(' '), p.userId, p.groupId].join('\t');
  console.log(require('./e2e/client').CLIENT_IMAGE);
  console.log(line(ImageProfile.debian().props));
  for (const version of process.env.RELEASES.split(' ')) {
    console.log(line(ImageProfile.apacheRelease({ version, image: require('./e2e/dist').localImage(version) }).props));
  }
") || die "could not read the image profiles (is node_modules installed? run npm ci)"
mapfile -t profile_lines <<<"$profiles"
CLIENT_IMAGE=${profile_lines[0]}
# profile_build_args LINE: the build arguments that make an image build check a profile's claims.
profile_build_args() {
  local image classpath binaries uid gid
  IFS=$'\t' read -r image classpath binaries uid gid <<<"$1"
  printf '%s\n' --build-arg "PROFILE_CLASSPATH=$classpath" --build-arg "PROFILE_BINARIES=$binaries" \
    --build-arg "PROFILE_UID=$uid" --build-arg "PROFILE_GID=$gid"
}
profile_image() { cut -f1 <<<"$1"; }
PRODUCT_IMAGE=$(profile_image "${profile_lines[1]}")
mapfile -t PROFILE_BUILD_ARGS < <(profile_build_args "${profile_lines[1]}")
log "Debian image $PRODUCT_IMAGE; Apache release images for ${APACHE_RELEASES[*]}"
step_end "step 2/7: what the image profiles expect"

step_begin "step 3/7: base image"
make_base_image
step_end "step 3/7: base image"

# The size a registry user pulls (uncompressed), so a change to an image shows in every run's log.
log_size() { log "image $1: $(($(podman image inspect --format '{{.Size}}' "$1") / 1000000)) MB"; }

step_begin "step 4/7: Debian image (ImageProfile.debian())"
product_hash=$(context_hash "$ROOT_DIR/image/debian" "$(image_id "$BASE_IMAGE")" "${PROFILE_BUILD_ARGS[@]}")
build_cached "$PRODUCT_IMAGE" "$ROOT_DIR/image/debian" "$ROOT_DIR/image/debian/Containerfile" "$product_hash" "${PROFILE_BUILD_ARGS[@]}"
log_size "$PRODUCT_IMAGE"
step_end "step 4/7: Debian image (ImageProfile.debian())"

step_begin "step 5/7: Apache release images (ImageProfile.apacheRelease())"
# Maven in the build reaches Maven Central over TLS; where that goes through a proxy whose CA only
# the host trusts, the host's Java truststore (a secret: not part of any layer) makes it work.
truststore_args=()
if [[ -r $JAVA_TRUSTSTORE ]]; then truststore_args=(--secret "id=java-truststore,src=$JAVA_TRUSTSTORE"); fi
release_images=()
index=2
for version in "${APACHE_RELEASES[@]}"; do
  line=${profile_lines[index]}
  index=$((index + 1))
  tag=$(profile_image "$line")
  mapfile -t args < <(profile_build_args "$line")
  args+=(--build-arg "ZOOKEEPER_VERSION=$version" --build-arg "PROMETHEUS_PROVIDER_VERSION=${PROVIDER_RELEASE[$version]:-$version}")
  hash=$(context_hash "$ROOT_DIR/image/apache" "$(image_id "$BASE_IMAGE")" "${args[@]}")
  build_cached "$tag" "$ROOT_DIR/image/apache" "$ROOT_DIR/image/apache/Containerfile" "$hash" "${args[@]}" "${truststore_args[@]}"
  log "image $tag: ZooKeeper $version, Prometheus provider of $(image_label "$tag" io.cdk8s-zookeeper.prometheus-provider-version)"
  log_size "$tag"
  release_images+=("$version=$tag")
done
step_end "step 5/7: Apache release images (ImageProfile.apacheRelease())"

step_begin "step 6/7: client image"
client_hash=$(context_hash "$E2E_DIR/client" "$(image_id "$PRODUCT_IMAGE")" "$PRODUCT_IMAGE")
build_cached "$CLIENT_IMAGE" "$E2E_DIR/client" "$E2E_DIR/client/Containerfile" "$client_hash" \
  --build-arg "BASE_IMAGE=$PRODUCT_IMAGE"
step_end "step 6/7: client image"

step_begin "step 7/7: SeaweedFS (S3-compatible server of scenarios 22.6-22.9)"
wait "$SEAWEEDFS_PID" || { cat "$SEAWEEDFS_LOG" >&2; die "building SeaweedFS failed (its log is above)"; }
cat "$SEAWEEDFS_LOG" >&2
rm -f "$SEAWEEDFS_LOG"
step_end "step 7/7: SeaweedFS (S3-compatible server of scenarios 22.6-22.9)"

log "ready in $(seconds_since "$SETUP_START") s"
printf 'CONTAINERS_CONF=%s\nZK_E2E_IMAGE=%s\nZK_E2E_CLIENT_IMAGE=%s\n' "$CONTAINERS_CONF" "$PRODUCT_IMAGE" "$CLIENT_IMAGE"
# ZK_E2E_IMAGE_384=localhost/cdk8s-zookeeper:3.8.4 and so on.
for entry in "${release_images[@]}"; do
  version=${entry%%=*}
  printf 'ZK_E2E_IMAGE_%s=%s\n' "${version//./}" "${entry#*=}"
done
