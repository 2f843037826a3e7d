#!/usr/bin/env bash
# Stage: refresh APT's package lists once, so that every later stage's apt-get install works on a
# fresh machine (a new Debian 12 image may have no lists, or stale ones). Only when CI=true: it
# changes the machine.
set -euo pipefail
if [ "${CI:-}" != true ]; then
  echo "setup: not CI; leaving APT's lists alone"
  exit 0
fi
for try in 1 2 3; do
  if apt-get -o DPkg::Lock::Timeout=600 update -qq; then
    echo "setup: apt-get update done"
    exit 0
  fi
  echo "setup: apt-get update failed (try $try of 3); retrying in 10s" >&2
  sleep 10
done
exit 1
