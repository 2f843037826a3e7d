#!/usr/bin/env bash
# Stage: lint and the unit tests (the README's test command), then a short fuzz.
set -euo pipefail
cd "$(dirname "$0")/../.."
make lint
make test
make fuzz FUZZTIME=${FUZZTIME:-5s}
