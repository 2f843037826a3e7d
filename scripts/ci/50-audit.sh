#!/usr/bin/env bash
# Stage: boot entries, audit, hooks and fleet metrics (issue 8).
#   1. the unit tests of what this stage covers, once more on their own
#      (quick): grub.cfg from Debian's grub-mkconfig, BLS, a UKI built in the
#      test, the audit, the APT/prerm/preinst hooks, the metrics file parsed
#      back with Prometheus' text parser, the audit CLI;
#   2. scripts/audit-real-system.sh: Debian 12's real grub-mkconfig and
#      grub-editenv, the APT hook after a real apt-get run, and kernel-prerm
#      refusing a real kernel package removal and letting it through with
#      BOOT_GUARD=off. That part changes the machine, so only with CI=true;
#   3. the fuzz run stage 40 started in the background: waits for it and
#      prints its log (run alone, this stage runs it itself).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$HOME/go/bin:$PATH
t0=$(date +%s)
. scripts/ci/lib/background.sh
fuzz=build/ci/fuzz
trap 'rc=$?; [ $rc = 0 ] || bg_kill "$fuzz"; exit $rc' EXIT
echo "--- $(date -u +%T) unit tests: bootentry, metrics, audit, hooks, audit CLI"
go test -count=1 ./verify/bootentry/... ./verify/metrics/ ./hook/
go test -count=1 -run 'Audit' ./verify/ ./cmd/boot-guard/
echo "--- $(date -u +%T) unit tests done in $(($(date +%s) - t0))s"
if [[ "${CI:-}" == true ]]; then
	bash scripts/audit-real-system.sh
else
	echo "--- not CI: skipping scripts/audit-real-system.sh (it installs and removes packages; run it with --yes)"
fi
t1=$(date +%s)
if [ -e "$fuzz/pid" ]; then
	echo "--- $(date -u +%T) waiting for the fuzz run stage 40 started"
	bg_wait "$fuzz"
	echo "--- $(date -u +%T) fuzz run ok; this stage waited $(($(date +%s) - t1))s for it"
else
	make fuzz FUZZTIME="${FUZZTIME:-3s}"
	echo "--- $(date -u +%T) fuzz run done in $(($(date +%s) - t1))s"
fi
echo "--- stage 50-audit done in $(($(date +%s) - t0))s"
