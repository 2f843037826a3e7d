#!/usr/bin/env bash
# Stage: lint (gofmt, go vet for linux, darwin and windows, staticcheck, go mod
# tidy -diff), the unit tests (the README's test command), then a short fuzz.
# Each step prints its time: on a fresh machine (cold build cache) the stage
# took 554-716 s (2026-12-03: lint 226, test 122, fuzz 206), against 310 s with a warm cache.
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
step make fuzz FUZZTIME="${FUZZTIME:-3s}"
