#!/usr/bin/env bash
# Installs the system tools that the behaviour tests run for real (test/supervisord.test.ts needs
# supervisord and supervisorctl). Run by .ci/run before jest, and by developers once per machine:
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

if ((${#missing_packages[@]} == 0)); then
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

echo "setup-tools: installing ${missing_packages[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing_packages[@]}"

for entry in "${TOOLS[@]}"; do
  read -r binary package <<<"$entry"
  command -v "$binary" >/dev/null 2>&1 || { echo "setup-tools: $package installed but $binary is still not on PATH" >&2; exit 1; }
done
