#!/usr/bin/env bash
# make deb: build the boot-guard source package and the .deb for this machine's
# architecture, and the .debs of the other ARCHES cross-built (static Go), with
# dpkg-buildpackage; then lintian every .changes. Output: build/deb/ (override
# with OUT=DIR): boot-guard_VERSION.{dsc,tar.xz} and
# boot-guard_VERSION_ARCH.{deb,changes,buildinfo}.
#
# The tree is copied first (tracked and untracked-but-not-ignored files), so
# dpkg-buildpackage's droppings (debian/boot-guard/, ../*.deb) never land in
# the checkout or next to it.
#
# Needs: build-essential (dpkg-buildpackage adds build-essential:native to
# Build-Depends; it brings make and dpkg-dev), debhelper, go-md2man, lintian
# (the README's set-up steps) and Go on PATH or in GO=/usr/local/go/bin/go
# (Debian's golang-go is too old).
#
# Environment:
#   ARCHES="amd64 arm64"       which Debian architectures to build
#   OUT=build/deb              where the results go
#   DEB_BUILD_OPTIONS=nocheck  default here: the unit tests run in CI's own
#                              stage; set DEB_BUILD_OPTIONS= to run them too
#   LINTIAN=0                  skip lintian
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

ARCHES=${ARCHES:-amd64 arm64}
OUT=${OUT:-$top/build/deb}
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck}

step() { echo "build-deb: $*"; }
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }

if [ -z "${GO:-}" ]; then
	if command -v go >/dev/null 2>&1; then GO=$(command -v go)
	elif [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go
	else
		echo "build-deb: error: no Go toolchain: put go on PATH or set GO=/path/to/go (Debian 12's golang-go is too old)" >&2
		exit 1
	fi
fi
export GO
godir=$(dirname "$GO")
export PATH="$godir:$PATH"
missing=
for tool in dpkg-buildpackage dh go-md2man; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
# dpkg-buildpackage's dependency check requires build-essential:native.
dpkg-query -W -f='${Status}' build-essential 2>/dev/null | grep -q ' installed$' || missing="$missing build-essential"
if [ -n "$missing" ]; then
	echo "build-deb: error: missing$missing; install them with: apt-get install build-essential debhelper go-md2man lintian" >&2
	exit 1
fi

version=$(dpkg-parsechangelog -S Version)
step "boot-guard $version for $ARCHES with $("$GO" version)"

# Caches: keep the caller's, so dh's HOME does not matter and modules are not
# fetched twice.
export GOCACHE=${GOCACHE:-$("$GO" env GOCACHE)}
export GOMODCACHE=${GOMODCACHE:-$("$GO" env GOMODCACHE)}
step "fetching Go modules into $GOMODCACHE (no-op when cached)"
GOFLAGS=-mod=mod "$GO" mod download

work=$(mktemp -d "${TMPDIR:-/tmp}/boot-guard-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/boot-guard-$version
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && xargs -0 cp --parents -P -t "$src" 2>/dev/null || true)
	# Files deleted in the worktree but still tracked make cp complain; the
	# copy is what is on disk.
else
	tar -C "$top" --exclude=./build --exclude=./bin -cf - . | tar -C "$src" -xf -
fi
rm -rf "${src:?}/bin" "${src:?}/build"

mkdir -p "$OUT"
for arch in $ARCHES; do
	step "dpkg-buildpackage for $arch ($(elapsed))"
	# Native: source and binary. Others: binary only, cross-built. -us -uc:
	# unsigned. -d is not needed: Build-Depends names no Go (debian/control).
	if [ "$arch" = "$(dpkg --print-architecture)" ]; then
		what=(-us -uc)
	else
		what=(-b -us -uc --host-arch "$arch")
	fi
	(cd "$src" && dpkg-buildpackage "${what[@]}") >"$work/build-$arch.log" 2>&1 || {
		tail -n 60 "$work/build-$arch.log" >&2
		echo "build-deb: error: dpkg-buildpackage for $arch failed (full log above, last 60 lines)" >&2
		exit 1
	}
	for f in "$work"/boot-guard_"$version"_"$arch".{deb,changes,buildinfo} "$work"/boot-guard_"$version".{dsc,tar.xz}; do
		[ ! -e "$f" ] || cp "$f" "$OUT/"
	done
	step "built $OUT/boot-guard_${version}_$arch.deb ($(elapsed))"
done

if [ "${LINTIAN:-1}" != 0 ]; then
	if ! command -v lintian >/dev/null 2>&1; then
		echo "build-deb: error: lintian missing: apt-get install lintian (or LINTIAN=0 to skip)" >&2
		exit 1
	fi
	for arch in $ARCHES; do
		step "lintian boot-guard_${version}_$arch.changes ($(elapsed))"
		# The .changes covers the .deb, .buildinfo and (native) the source
		# package. No errors, no warnings; info and pedantic tags are
		# printed for the record.
		lintian --fail-on error,warning --display-info --pedantic "$OUT/boot-guard_${version}_$arch.changes"
	done
fi
step "done in $(elapsed): $(cd "$OUT" && ls boot-guard_"$version"_*.deb | tr '\n' ' ')"
