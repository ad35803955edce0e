#!/usr/bin/env bash
# Placeholder for membership-common.sh (sourced by the dynamic membership's scripts, membership
# 'dynamic'): the real file is written on the dynscripts branch and replaces this one when the
# branches are merged.
set -euo pipefail
echo "membership-common.sh: not built yet" >&2
exit 1
