#!/usr/bin/env bash
# Stage: boot-guard's .deb on Debian 13 (trixie) and Debian testing (forky), through the real
# maintainer scripts of their real kernel packages in mmdebstrap minbase chroots (issue 14 item 3:
# scripts/releases.sh; it builds chroots, so only with CI=true). Stage 60 starts it in the background
# once its .deb is built (this stage then waits for it and prints its log; run alone, it runs it).
# Its chroots and exported kernels/initrds (build/releases) serve 70-e2e's release rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH
t0=$(date +%s)
if [ "${CI:-}" != true ]; then
	echo "65-releases: not CI: skipping scripts/releases.sh (it builds chroots; run it with --yes)"
	exit 0
fi
rc=0
rel=build/ci/releases
. scripts/ci/lib/background.sh
if [ -e "$rel/pid" ]; then
	# Started by stage 60 beside the package's lifecycle: wait for it, then print its log.
	echo "65-releases: scripts/releases.sh was started by stage 60; waiting for it"
	bg_wait "$rel" || rc=$?
else
	bash scripts/releases.sh || rc=$?
fi
echo "--- stage 65-releases $([ $rc = 0 ] && echo done || echo "FAILED (exit $rc)") in $(($(date +%s) - t0))s"
exit $rc
