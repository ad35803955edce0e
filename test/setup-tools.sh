#!/usr/bin/env bash
# Installs the system tools that the behaviour tests run for real: supervisord and supervisorctl
# (test/supervisord.test.ts), and promtool and prometheus (the alert-rule tests and the e2e suite). Run by .ci/run before jest, and by developers once per machine:
#   bash test/setup-tools.sh
# Idempotent: a tool that is already on PATH is left alone, and apt-get runs only when something
# is missing. The tests themselves never install anything: they fail with a pointer to this script.
set -euo pipefail

# One line per tool: "<binary the tests call> <Debian package that provides it>".
# To need another tool, add a line here.
TOOLS=(
  "supervisord supervisor"
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

if ((${#missing_packages[@]} == 0)) && ! $need_prometheus; then
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
