#!/usr/bin/env bash
# Stage: lint (gofmt, go vet for linux, darwin and windows, staticcheck, go mod
# tidy -diff), the unit tests (the README's test command), then a short fuzz.
set -euo pipefail
cd "$(dirname "$0")/../.."
make lint
make test
make fuzz FUZZTIME=${FUZZTIME:-5s}
