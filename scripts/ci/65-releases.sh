#!/usr/bin/env bash
# Stage: boot-guard's .deb on Debian 13 (trixie) and Debian testing (forky), through the real
# maintainer scripts of their real kernel packages in mmdebstrap minbase chroots (issue 14 item 3:
# scripts/releases.sh; it builds chroots, so only with CI=true). After 60-deb, whose .deb it
# installs; its chroots and exported kernels/initrds (build/releases) serve 70-e2e's release rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH
t0=$(date +%s)
if [ "${CI:-}" != true ]; then
	echo "65-releases: not CI: skipping scripts/releases.sh (it builds chroots; run it with --yes)"
	exit 0
fi
rc=0
bash scripts/releases.sh || rc=$?
echo "--- stage 65-releases $([ $rc = 0 ] && echo done || echo "FAILED (exit $rc)") in $(($(date +%s) - t0))s"
exit $rc
