#!/usr/bin/env bash
# Stage: boot-guard's install hooks on the real system (issue 5). It installs
# a Debian kernel package and the hooks, breaks and restores the initrd, and
# puts the machine back; it runs only with CI=true (see the script's header).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/hooks-real-system.sh
