#!/usr/bin/env bash
# Stage: boot-guard's install hooks on the real system (issue 5). It installs
# a Debian kernel package and the hooks, breaks and restores the initrd, and
# puts the machine back; it runs only with CI=true (see the script's header).
#
# It also starts the short fuzz run of every fuzz target (make fuzz, 3 s each,
# one worker) in the background: this stage and 50-audit mostly wait on one
# mkinitramfs or apt-get at a time (about 53% of the 2 cores busy, 225 s in
# all), and stage 50 waits for the fuzz run at its end and prints its log.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$HOME/go/bin:$PATH
. scripts/ci/lib/background.sh
fuzz=build/ci/fuzz
echo "--- 40-hooks: make fuzz FUZZTIME=${FUZZTIME:-3s} FUZZPARALLEL=1 started in the background (stage 50 waits for it)"
bg_start "$fuzz" make fuzz FUZZTIME="${FUZZTIME:-3s}" FUZZPARALLEL=1
trap 'rc=$?; [ $rc = 0 ] || bg_kill "$fuzz"; exit $rc' EXIT
bash scripts/hooks-real-system.sh
