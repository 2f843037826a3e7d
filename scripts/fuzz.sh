#!/usr/bin/env bash
# Runs every Go fuzz target in the repo for a while each (default 10s).
#   scripts/fuzz.sh [FUZZTIME] [--keep]
# --keep (make fuzz-long) copies the inputs that found new coverage from Go's
# fuzz cache into the package's testdata/fuzz/FuzzName/, where `go test`
# replays them as seeds from then on. FUZZPARALLEL sets -parallel (default:
# Go's, GOMAXPROCS); FUZZPKGS limits the packages (default ./...) and
# FUZZTARGETS the targets (an extended regex on their names, default all), so
# two runs can share the targets between them. Each target's line reports its
# elapsed time and the corpus files kept; a crash fails the run (its input is in testdata/fuzz, as
# go test writes it).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
keep=${2:-}
par=${FUZZPARALLEL:+-parallel=$FUZZPARALLEL}
cache=$(go env GOCACHE)/fuzz
log=$(mktemp)
files() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
trap 'rm -f "$log"' EXIT
found=0
while read -r pkg dir; do
  for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' | grep -E "${FUZZTARGETS:-.}" || true); do
    found=1
    echo "fuzz: $pkg $f ($t)"
    start=$(date +%s)
    # Go 1.26's fuzz coordinator can fail a run at the -fuzztime deadline with a bare "context
    # deadline exceeded" and no failing input when a loaded machine starves its workers
    # (golang/go#75804, fixed in Go 1.27). That one outcome, with no new file under testdata/fuzz,
    # is run again (twice at most); any other failure, or a third, fails the run.
    for try in 1 2 3; do
      before=$(files "$dir/testdata/fuzz/$f")
      rc=0
      # shellcheck disable=SC2086 # $par is one word or none
      go test -run '^$' -fuzz "^${f}\$" -fuzztime "$t" $par "$pkg" >"$log" 2>&1 || rc=$?
      cat "$log"
      [ "$rc" = 0 ] && break
      after=$(files "$dir/testdata/fuzz/$f")
      if [ "$try" -lt 3 ] && [ "$before" = "$after" ] && grep -q '^    context deadline exceeded$' "$log" &&
        ! grep -q 'Failing input written to' "$log"; then
        echo "fuzz: $pkg $f: Go's coordinator stopped at the deadline with no failing input (golang/go#75804): again"
        continue
      fi
      exit "$rc"
    done
    kept=0
    if [ "$keep" = --keep ] && [ -d "$cache/$pkg/$f" ]; then
      mkdir -p "$dir/testdata/fuzz/$f"
      for c in "$cache/$pkg/$f"/*; do
        [ -e "$dir/testdata/fuzz/$f/$(basename "$c")" ] && continue
        cp "$c" "$dir/testdata/fuzz/$f/" && kept=$((kept + 1))
      done
    fi
    echo "fuzz: $pkg $f: $(( $(date +%s) - start ))s, $kept new corpus files kept"
  done
done < <(go list -f '{{.ImportPath}} {{.Dir}}' ${FUZZPKGS:-./...})
[ "$found" = 1 ] || echo "fuzz: no fuzz targets yet"
