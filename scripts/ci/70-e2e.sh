#!/usr/bin/env bash
# Stage: the QEMU end-to-end suite (issue 7): real boots of the real Debian kernel against real
# initrds, and boot-guard's verdict computed inside guests; prints the agreement table.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/e2e/run.sh
