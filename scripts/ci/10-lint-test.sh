#!/usr/bin/env bash
# Stage: lint (gofmt, go vet for linux, darwin and windows, staticcheck, go mod
# tidy -diff) and the unit tests (the README's test command). Each step prints
# its time: on a fresh machine (cold build cache) lint took 226 s and the tests
# 122 s (2026-12-03). The short fuzz run that followed (206 s, both cores) now
# runs beside stages 40 and 50, which keep one core busy (see 40-hooks.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
step() {
	local t0 rc=0
	t0=$(date +%s)
	"$@" || rc=$?
	echo "--- 10-lint-test: $* $([ $rc = 0 ] && echo ok || echo "FAILED (exit $rc)") in $(($(date +%s) - t0))s"
	return $rc
}
step make lint
step make test
