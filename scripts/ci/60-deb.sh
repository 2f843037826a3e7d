#!/usr/bin/env bash
# Stage: the Debian package. Build the amd64 and arm64 .debs (make deb, which
# runs lintian: no errors, no warnings), check what is inside them, then the
# package's lifecycle on this machine and in a minbase chroot
# (scripts/deb-lifecycle.sh; it changes the machine, so it needs CI=true),
# with stage 65's scripts/releases.sh running beside it in the background.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH
export DEBIAN_FRONTEND=noninteractive

t0=$(date +%s)
tstep=$t0
step() {
	local now
	now=$(date +%s)
	echo "60-deb: [$((now - t0))s, last step $((now - tstep))s] $*"
	tstep=$now
}

if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
	step "apt-get update (no package lists on this machine)"
	apt-get -o DPkg::Lock::Timeout=900 -q update >/dev/null
fi
step "apt-get install the build and test tools"
apt-get -o DPkg::Lock::Timeout=900 -q install -y --no-install-recommends \
	build-essential dpkg-dev debhelper go-md2man lintian mmdebstrap binutils >/dev/null

step "make deb (amd64 and arm64, lintian --fail-on error,warning)"
make deb

version=$(dpkg-parsechangelog -S Version)
out=build/deb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "check the binaries inside the .debs"
for arch in amd64 arm64; do
	deb=$out/boot-guard_${version}_$arch.deb
	[ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || { echo "60-deb: $deb is not Architecture: $arch" >&2; exit 1; }
	dpkg-deb -x "$deb" "$tmp/$arch"
	bin=$tmp/$arch/usr/sbin/boot-guard
	case $arch in amd64) machine='X86-64' ;; arm64) machine='AArch64' ;; esac
	readelf -h "$bin" | grep -q "Machine:.*$machine" || { echo "60-deb: $bin is not an $machine ELF" >&2; exit 1; }
	if readelf -l "$bin" | grep -q 'INTERP\|DYNAMIC'; then
		echo "60-deb: $bin is dynamically linked; it must be static (CGO_ENABLED=0)" >&2
		exit 1
	fi
	go version -m "$bin" >"$tmp/$arch.mods"
	grep -q "GOARCH=$arch" "$tmp/$arch.mods" || { echo "60-deb: $bin was not built for GOARCH=$arch" >&2; exit 1; }
	grep -q -- '-trimpath=true' "$tmp/$arch.mods" || { echo "60-deb: $bin was not built with -trimpath" >&2; exit 1; }
	# Every Go module inside the binary is named in debian/copyright.
	missing=
	for mod in $(awk '$1 == "dep" { print $2 }' "$tmp/$arch.mods"); do
		grep -qE "^ $mod( |$)" debian/copyright || missing="$missing $mod"
	done
	if [ -n "$missing" ]; then
		echo "60-deb: modules inside $arch's boot-guard but not listed in debian/copyright:$missing" >&2
		echo "60-deb: hint: add each with its licence and copyright to the Comment of debian/copyright" >&2
		exit 1
	fi
	echo "60-deb:   ok: $arch: static $machine, GOARCH=$arch, trimpath, $(awk '$1 == "dep"' "$tmp/$arch.mods" | wc -l) modules all in debian/copyright"
done
"$tmp/amd64/usr/sbin/boot-guard" --version | grep -qF " $version" ||
	{ echo "60-deb: the amd64 binary's --version does not print $version" >&2; exit 1; }

if [ "${CI:-}" != true ]; then
	step "lifecycle skipped: it installs packages on this machine; run with CI=true"
	exit 0
fi
if [ "$(dpkg --print-architecture)" != amd64 ] && [ "$(dpkg --print-architecture)" != arm64 ]; then
	echo "60-deb: no .deb for $(dpkg --print-architecture); lifecycle skipped" >&2
	exit 1
fi
# Stage 65's scripts/releases.sh needs only the .deb and its own chroots: it starts here, in the
# background (its own session, stopped if this stage fails), while the lifecycle runs; stage 65 waits
# for it and prints its log. Each keeps about one core busy with kernel installs and mmdebstrap.
rel=build/ci/releases
rm -rf "$rel"
. scripts/ci/lib/background.sh
if [ "$(dpkg --print-architecture)" = amd64 ]; then
	step "scripts/releases.sh started in the background (stage 65 waits for it)"
	bg_start "$rel" bash scripts/releases.sh
	trap 'rc=$?; rm -rf "$tmp"; [ $rc = 0 ] || bg_kill "$rel"; exit $rc' EXIT
fi
step "the package's lifecycle (scripts/deb-lifecycle.sh)"
CI=true bash scripts/deb-lifecycle.sh

step "done"
