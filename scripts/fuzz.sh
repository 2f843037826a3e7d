#!/usr/bin/env bash
# Runs every Go fuzz target in the repo for a while each (default 10s).
#   scripts/fuzz.sh [FUZZTIME] [--keep]
# --keep (make fuzz-long) copies the inputs that found new coverage from Go's
# fuzz cache into the package's testdata/fuzz/FuzzName/, where `go test`
# replays them as seeds from then on. FUZZPARALLEL sets -parallel (default:
# Go's, GOMAXPROCS); FUZZPKGS limits the packages (default ./...). Each target's line reports its elapsed time and the
# corpus files kept; a crash fails the run (its input is in testdata/fuzz, as
# go test writes it).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
keep=${2:-}
par=${FUZZPARALLEL:+-parallel=$FUZZPARALLEL}
cache=$(go env GOCACHE)/fuzz
found=0
while read -r pkg dir; do
  for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    found=1
    echo "fuzz: $pkg $f ($t)"
    start=$(date +%s)
    # shellcheck disable=SC2086 # $par is one word or none
    go test -run '^$' -fuzz "^${f}\$" -fuzztime "$t" $par "$pkg"
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
