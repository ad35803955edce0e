#!/usr/bin/env bash
# Placeholder for leave-ensemble.sh (membership 'dynamic', docs/membership-design.md): the real script is written
# on the dynscripts branch and replaces this file when the branches are merged. Until then a member
# of a dynamic ensemble must not start as if it worked.
set -euo pipefail
echo "leave-ensemble.sh: not built yet" >&2
exit 1
