#!/usr/bin/env bash
# deb-lifecycle.sh: the boot-guard .deb's whole life on this machine, then in a
# minbase chroot. It CHANGES THE MACHINE (installs and purges boot-guard,
# installs a Debian kernel package), so it runs only with CI=true or --yes.
#
#   host:   dpkg -i (files in place, hooks executable, conffiles, --version
#           agrees with debian/changelog, completion, man page); a real
#           Debian kernel package installed afterwards runs the hook; an edit
#           to /etc/default/boot-guard survives a reinstall; dpkg -r, then a
#           kernel install: nothing of boot-guard fails it; dpkg -P removes
#           every file it installed (file lists compared).
#   chroot: mmdebstrap --variant=minbase (apt's own sources, built in the
#           background while the host part runs); boot-guard and a
#           kernel installed inside: the hook says cannot-tell for the root
#           device and does not fail; the initrd deleted, `verify --root`
#           fails.
#
# The hooks' protocols are other issues' work: while they print "not
# implemented yet", the checks that need a real verdict say SKIP (and why)
# instead of passing; everything else is asserted on exit codes and files.
#
# Environment:
#   DEB=build/deb/boot-guard_V_ARCH.deb   the package (default: make deb's)
#   CACHE=/var/cache/boot-guard-ci        .debs fetched once, in CACHE/archives
#                                         (apt-get download, mmdebstrap sync-out)
#   SUITE=bookworm  SOURCES=<file>        the chroot's suite and apt sources
#                                         (default: this machine's Debian
#                                         sources file)
#   CHROOT=0                              skip the chroot part
#
# The kernel package this script may install on the host is left installed
# (other users of the machine may rely on it); boot-guard never is: an EXIT
# trap purges it whatever happens.
set -Eeuo pipefail
trap 'echo "deb-lifecycle: FAIL: unexpected error (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
top=$PWD

if [ "${CI:-}" != true ] && [ "${1:-}" != --yes ]; then
	echo "deb-lifecycle: this installs and purges packages on this machine; run it with CI=true or --yes" >&2
	exit 2
fi
[ "$(id -u)" = 0 ] || { echo "deb-lifecycle: error: must run as root (it runs dpkg)" >&2; exit 2; }

export DEBIAN_FRONTEND=noninteractive
arch=$(dpkg --print-architecture)
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
DEB=${DEB:-$top/build/deb/boot-guard_${version}_$arch.deb}
CACHE=${CACHE:-/var/cache/boot-guard-ci}
SUITE=${SUITE:-bookworm}
[ -f "$DEB" ] || { echo "deb-lifecycle: error: $DEB not found: run 'make deb' first (or set DEB=)" >&2; exit 2; }
DEB=$(readlink -f "$DEB")

work=$(mktemp -d "${TMPDIR:-/tmp}/boot-guard-lifecycle.XXXXXX")
chroot_dir=$work/chroot
t0=$(date +%s)
tstep=$t0
nskip=0

step() {
	local now
	now=$(date +%s)
	echo "deb-lifecycle: [$((now - t0))s, last step $((now - tstep))s] $*"
	tstep=$now
}
fail() {
	echo "deb-lifecycle: FAIL: $*" >&2
	exit 1
}
ok() { echo "deb-lifecycle:   ok: $*"; }
skip() {
	echo "deb-lifecycle:   SKIP: $*"
	nskip=$((nskip + 1))
}
show() {
	sed 's/^/    | /' "$1"
}

cleanup() {
	local rc=$?
	set +e
	# A chroot still being built in the background (the host part failed): stop it first.
	if [ -n "${mm_pid:-}" ] && kill -0 "$mm_pid" 2>/dev/null; then
		kill -- -"$mm_pid" 2>/dev/null
		wait "$mm_pid" 2>/dev/null
	fi
	# Never leave boot-guard's hooks on this machine.
	if dpkg-query -W -f='${Status}' boot-guard 2>/dev/null | grep -qv 'not-installed'; then
		echo "deb-lifecycle: cleanup: purging boot-guard from this machine"
		dpkg_locked --purge boot-guard >/dev/null 2>&1
	fi
	if [ -d "$chroot_dir" ]; then
		if findmnt -R -n -o TARGET "$chroot_dir" 2>/dev/null | grep -q .; then
			findmnt -R -n -o TARGET "$chroot_dir" | sort -r | xargs -r -n1 umount -l
		fi
		if findmnt -R -n -o TARGET "$chroot_dir" 2>/dev/null | grep -q .; then
			echo "deb-lifecycle: cleanup: $chroot_dir still has mounts; not removing it" >&2
			exit "$rc"
		fi
	fi
	rm -rf --one-file-system "$work"
	exit "$rc"
}
trap cleanup EXIT

# dpkg_locked ARGS...: dpkg, waiting (up to 15 min) while another apt or dpkg
# holds the lock, as on a machine shared with other people.
dpkg_locked() {
	local i out rc
	out=$(mktemp "$work/dpkg.XXXXXX")
	for ((i = 0; i < 90; i++)); do
		rc=0
		dpkg "$@" </dev/null >"$out" 2>&1 || rc=$?
		if [ $rc != 0 ] && grep -q 'dpkg frontend lock\|dpkg status database is locked\|lock-frontend' "$out"; then
			sleep 10
			continue
		fi
		cat "$out"
		return $rc
	done
	cat "$out"
	return 1
}
apt_get() { apt-get -o DPkg::Lock::Timeout=900 -q "$@" </dev/null; }

# snapshot FILE: every path under the trees a package can touch.
snapshot() {
	{
		find / -mindepth 1 -maxdepth 1 2>/dev/null || true
		find /etc /usr /boot /var/lib/prometheus /var/lib/systemd -xdev 2>/dev/null || true
	} | sort -u >"$1"
}

# ---------------------------------------------------------------- kernel ---
step "kernel package: find it and fetch it once into $CACHE/archives"
mkdir -p "$CACHE/archives"
kpkg=$(apt-cache depends "linux-image-$arch" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
[ -n "$kpkg" ] || fail "apt-cache knows no linux-image-$arch: is apt-get update done?"
kver=${kpkg#linux-image-}
kcand=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
kdeb=$CACHE/archives/${kpkg}_${kcand//:/%3a}_$arch.deb
if [ ! -s "$kdeb" ]; then
	(cd "$CACHE/archives" && apt_get -o APT::Sandbox::User=root download "$kpkg" "linux-image-$arch") >/dev/null
fi
[ -s "$kdeb" ] || fail "apt-get download $kpkg did not give $kdeb"
ok "$kpkg (kernel $kver): $kdeb"
if ! dpkg-query -W -f='${Status}' "$kpkg" 2>/dev/null | grep -q 'install ok installed'; then
	step "installing $kpkg and its dependencies (before boot-guard: later installs are reinstalls of the same files)"
	apt_get install -y --no-install-recommends "linux-image-$arch" >"$work/kernel-first.log" 2>&1 ||
		{ show "$work/kernel-first.log"; fail "apt-get install linux-image-$arch failed before boot-guard was even installed"; }
fi
mm_pid=
if [ "${CHROOT:-1}" != 0 ]; then
	step "the chroot part's mmdebstrap, in the background"
	command -v mmdebstrap >/dev/null || fail "mmdebstrap missing: apt-get install mmdebstrap"
	SOURCES=${SOURCES:-}
	if [ -z "$SOURCES" ]; then
		for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
			if [ -s "$f" ] && grep -q '^[^#]*\(deb\|URIs:\)' "$f"; then
				SOURCES=$f
				break
			fi
		done
	fi
	[ -n "$SOURCES" ] || fail "no apt sources file found for the chroot; set SOURCES=FILE"

	# Runs inside mmdebstrap's customize step: boot-guard first, then the kernel,
	# the way a chroot or container image gets its packages. /sys is not mounted
	# (--skip=chroot/mount/sys), so there is no root device to find.
	cat >"$work/customize.sh" <<EOF
#!/bin/sh
set -u
root=\$1
cp "$DEB" "\$root/tmp/"
chroot "\$root" env DEBIAN_FRONTEND=noninteractive dpkg -i "/tmp/$(basename "$DEB")" </dev/null >"$work/chroot-install.log" 2>&1
echo \$? >"$work/chroot-install.rc"
chroot "\$root" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "linux-image-$arch" </dev/null >"$work/chroot-kernel.log" 2>&1
echo \$? >"$work/chroot-kernel.rc"
rm -f "\$root/tmp/$(basename "$DEB")"
exit 0
EOF
	chmod +x "$work/customize.sh"

	# The chroot is built in the background while the host part runs (CI time: the two are about three
	# minutes each, on separate dpkg databases): its .debs come in from CACHE/archives, which the host
	# part only reads from here on, and go out to $work/chroot-archives, merged into CACHE below.
	mkdir -p "$work/chroot-archives"
	setsid mmdebstrap --variant=minbase --mode=root --skip=chroot/mount/sys --skip=essential/unlink \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
		--setup-hook="sync-in $CACHE/archives /var/cache/apt/archives" \
		--customize-hook="$work/customize.sh" \
		--customize-hook="sync-out /var/cache/apt/archives $work/chroot-archives" \
		"$SUITE" "$chroot_dir" "$SOURCES" >"$work/mmdebstrap.log" 2>&1 </dev/null &
	mm_pid=$!
	mm_t0=$(date +%s)
	ok "mmdebstrap --variant=minbase $SUITE started in the background (sources: $SOURCES; cache: $CACHE)"
fi
# Other tests on a shared machine (scripts/hooks-real-system.sh) put
# boot-guard's files in place for a while and then restore them: wait for a
# clean machine, then hold the system-test lock for the whole run.
exec 9>/run/lock/boot-guard-system-test.lock
flock -w 1800 9 || fail "another system test holds /run/lock/boot-guard-system-test.lock for 30 minutes"
foreign() {
	local f
	for f in /usr/sbin/boot-guard /etc/default/boot-guard /etc/apt/apt.conf.d/90boot-guard \
		/etc/kernel/preinst.d/zz-boot-guard /etc/kernel/postinst.d/zz-boot-guard /etc/kernel/prerm.d/00-boot-guard \
		/etc/initramfs/post-update.d/zz-boot-guard /usr/lib/kernel/install.d/89-boot-guard.install; do
		[ ! -e "$f" ] && [ ! -L "$f" ] || { echo "$f"; return 0; }
	done
	return 1
}
if dpkg-query -W -f='${Status}' boot-guard 2>/dev/null | grep -qv 'not-installed'; then
	fail "the boot-guard package is already on this machine ($(dpkg-query -W -f='${Status}' boot-guard)): purge it first"
fi
for ((i = 0; i < 90; i++)); do
	if f=$(foreign); then
		:
	elif pgrep -f 'hooks-real-system[.]sh' >/dev/null; then
		f="scripts/hooks-real-system.sh (it swaps the hook files)"
	else
		break
	fi
	[ $i = 0 ] && echo "deb-lifecycle:   waiting: $f is there without the package (another test running?)"
	sleep 10
done
if f=$(foreign); then fail "$f exists without the boot-guard package after 15 minutes; remove it first"; fi

snapshot "$work/before.list"

# ---------------------------------------------------------------- install ---
step "dpkg -i $(basename "$DEB")"
rc=0
dpkg_locked -i "$DEB" >"$work/install.log" 2>&1 || rc=$?
show "$work/install.log"
[ $rc = 0 ] || fail "dpkg -i exited $rc: boot-guard's own installation must never fail"
grep -q '^boot-guard: checking the installed kernels' "$work/install.log" || fail "postinst did not check the installed kernels"
if grep -q 'not implemented yet' "$work/install.log"; then
	skip "verify is not implemented yet: cannot assert one line per installed kernel"
else
	for v in /boot/vmlinuz-*; do
		[ -e "$v" ] || continue
		v=${v#/boot/vmlinuz-}
		grep -q "^boot-guard:.*$v" "$work/install.log" || fail "postinst printed no line for installed kernel $v"
	done
	ok "postinst printed a line for every installed kernel"
fi

step "files in place"
hooks="/etc/kernel/preinst.d/zz-boot-guard /etc/kernel/postinst.d/zz-boot-guard /etc/kernel/prerm.d/00-boot-guard /etc/initramfs/post-update.d/zz-boot-guard /usr/lib/kernel/install.d/89-boot-guard.install"
for f in /usr/sbin/boot-guard $hooks; do
	[ -f "$f" ] && [ -x "$f" ] || fail "$f is missing or not executable"
done
ok "binary and every hook entry point, executable"
for f in /etc/default/boot-guard /etc/apt/apt.conf.d/90boot-guard \
	/usr/share/man/man8/boot-guard.8.gz /usr/share/bash-completion/completions/boot-guard \
	/usr/share/doc/boot-guard/changelog.gz /usr/share/doc/boot-guard/copyright; do
	[ -s "$f" ] || fail "$f is missing or empty"
done
# dh_compress gzips documentation over 4 kB.
[ -s /usr/share/doc/boot-guard/README.md ] || [ -s /usr/share/doc/boot-guard/README.md.gz ] ||
	fail "/usr/share/doc/boot-guard/README.md(.gz) is missing or empty"
ok "configuration, APT hook, man page, completion, README, changelog, copyright"
for f in /etc/default/boot-guard /etc/apt/apt.conf.d/90boot-guard /etc/kernel/preinst.d/zz-boot-guard \
	/etc/kernel/postinst.d/zz-boot-guard /etc/kernel/prerm.d/00-boot-guard /etc/initramfs/post-update.d/zz-boot-guard; do
	grep -qx "$f" /var/lib/dpkg/info/boot-guard.conffiles || fail "$f is not a conffile"
done
ok "everything under /etc is a conffile"
for key in MODE CANNOT_TELL MODULES METRICS_FILE AUTO_FALLBACK BOOT_GUARD; do
	grep -q "$key=" /etc/default/boot-guard || fail "/etc/default/boot-guard does not document $key"
done
ok "/etc/default/boot-guard documents MODE CANNOT_TELL MODULES METRICS_FILE AUTO_FALLBACK BOOT_GUARD"
zcat /usr/share/man/man8/boot-guard.8.gz | grep -q '^\.TH "*boot-guard"* "*8' || fail "boot-guard.8.gz has no .TH boot-guard 8 header"
for want in verify requirements inspect audit /etc/kernel/postinst.d/zz-boot-guard /etc/default/boot-guard BOOT_GUARD cannot-tell; do
	zcat /usr/share/man/man8/boot-guard.8.gz | grep -qF -- "$want" || fail "boot-guard(8) does not mention $want"
done
ok "boot-guard(8) documents the commands, hooks, configuration, environment, verdicts"

got=$(boot-guard --version 2>&1) || fail "boot-guard --version exited non-zero: $got"
pkgver=$(dpkg-query -W -f='${Version}' boot-guard)
[ "$pkgver" = "$version" ] || fail "installed package version $pkgver, debian/changelog says $version"
case "$got" in
*" $version" | *" $version "*) ok "boot-guard --version: $got (debian/changelog: $version)" ;;
*) fail "boot-guard --version prints '$got'; debian/changelog says $version" ;;
esac

# Completion: source the installed file and complete a few words.
complete_words() {
	bash -c '
		complete() { :; }
		. /usr/share/bash-completion/completions/boot-guard
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_boot_guard
		printf "%s\n" "${COMPREPLY[@]}"' bash "$@"
}
[ "$(complete_words boot-guard ver)" = verify ] || fail "completion of 'boot-guard ver' gives '$(complete_words boot-guard ver)'"
complete_words boot-guard hook kernel-po | grep -qx kernel-postinst || fail "completion of hook names"
complete_words boot-guard verify --j | grep -qx -- --json || fail "completion of verify's flags"
ok "bash completion: commands, hook names, flags"

# ----------------------------------------------------- kernel afterwards ---
step "a Debian kernel package installed with boot-guard in place: dpkg -i $(basename "$kdeb")"
rc=0
dpkg_locked -i "$kdeb" >"$work/kernel1.log" 2>&1 || rc=$?
show "$work/kernel1.log"
[ $rc = 0 ] || fail "installing $kpkg exited $rc with boot-guard installed (default configuration); see its output above"
grep -q '^boot-guard:' "$work/kernel1.log" || fail "no 'boot-guard:' line in the kernel installation: the hooks did not run"
if grep -q 'not implemented yet' "$work/kernel1.log"; then
	grep -q 'kernel-postinst' "$work/kernel1.log" || fail "the kernel-postinst hook did not run"
	ok "the kernel hooks ran (kernel-postinst named; the hook protocols are not implemented yet)"
else
	ok "the kernel hooks ran and passed: $(grep '^boot-guard:' "$work/kernel1.log" | head -n3 | tr '\n' ' ')"
fi

# ------------------------------------------------------ conffile survives ---
step "edit /etc/default/boot-guard, reinstall: the edit survives"
marker="# edited by deb-lifecycle $$"
printf '%s\nCANNOT_TELL=warn\n' "$marker" >>/etc/default/boot-guard
rc=0
dpkg_locked -i "$DEB" >"$work/reinstall.log" 2>&1 || rc=$?
[ $rc = 0 ] || { show "$work/reinstall.log"; fail "reinstall exited $rc"; }
grep -qxF "$marker" /etc/default/boot-guard || fail "the edit to /etc/default/boot-guard was lost on reinstall"
ok "edit kept, no conffile prompt"
rc=0
apt_get install --reinstall -y "$DEB" >"$work/reinstall-apt.log" 2>&1 || rc=$?
[ $rc = 0 ] || { show "$work/reinstall-apt.log"; fail "apt-get install --reinstall exited $rc (DPkg::Post-Invoke hook?)"; }
grep -qxF "$marker" /etc/default/boot-guard || fail "the edit was lost on apt-get reinstall"
ok "apt-get reinstall (runs the DPkg::Post-Invoke hook) succeeds, edit kept"

dpkg-query -L boot-guard | sort >"$work/owned.list"
cp /var/lib/dpkg/info/boot-guard.conffiles "$work/conffiles.list"

# ----------------------------------------------------------------- remove ---
step "dpkg -r boot-guard, then a kernel install: nothing of boot-guard fails it"
mkdir -p /var/lib/prometheus/node-exporter
metrics=/var/lib/prometheus/node-exporter/boot-guard.prom
echo 'boot_guard_verdict 0' >"$metrics"
rc=0
dpkg_locked -r boot-guard >"$work/remove.log" 2>&1 || rc=$?
[ $rc = 0 ] || { show "$work/remove.log"; fail "dpkg -r exited $rc"; }
[ ! -e /usr/sbin/boot-guard ] || fail "/usr/sbin/boot-guard is still there after dpkg -r"
[ ! -e /usr/lib/kernel/install.d/89-boot-guard.install ] || fail "the kernel-install plugin is still there after dpkg -r"
[ ! -e "$metrics" ] || fail "$metrics (audit metrics) still there after dpkg -r: monitoring would read a stale verdict"
rmdir /var/lib/prometheus/node-exporter /var/lib/prometheus 2>/dev/null || true
for f in $hooks; do
	case $f in /etc/*) ;; *) continue ;; esac
	[ -x "$f" ] || fail "conffile $f should stay after dpkg -r"
	rc=0
	out=$("$f" "$kver" "/boot/vmlinuz-$kver" </dev/null 2>&1) || rc=$?
	[ $rc = 0 ] && [ -z "$out" ] || fail "$f, left after dpkg -r, exits $rc with output '$out'; it must do nothing"
done
ok "hook shims left under /etc exit 0 silently without the binary"
rc=0
apt_get install --reinstall -y "$kdeb" >"$work/kernel2.log" 2>&1 || rc=$?
show "$work/kernel2.log"
[ $rc = 0 ] || fail "kernel install after dpkg -r exited $rc"
! grep -q 'boot-guard' "$work/kernel2.log" || fail "boot-guard still speaks after dpkg -r"
ok "kernel (re)installed through apt-get after dpkg -r: exit 0, no boot-guard output"

# ------------------------------------------------------------------ purge ---
step "dpkg -P boot-guard: every file it installed is gone"
rc=0
dpkg_locked -P boot-guard >"$work/purge.log" 2>&1 || rc=$?
[ $rc = 0 ] || { show "$work/purge.log"; fail "dpkg -P exited $rc"; }
if dpkg-query -W -f='${Status}' boot-guard 2>/dev/null | grep -qv 'not-installed'; then
	fail "boot-guard still known to dpkg after purge: $(dpkg-query -W -f='${Status}' boot-guard)"
fi
left=
while read -r f; do
	case $f in "" | /.) continue ;; esac
	[ -e "$f" ] || [ -L "$f" ] || continue
	# There before (as itself, or behind a merged-/usr symlink like /lib).
	grep -qxF "$f" "$work/before.list" && continue
	grep -qxF "$(readlink -f "$f")" "$work/before.list" && continue
	# A shared directory (/lib/systemd/system) stays while others use it;
	# dpkg removes the ones it created once they are empty.
	if [ -d "$f" ] && [ ! -L "$f" ] && [ -n "$(ls -A "$f")" ] && [[ $f != *boot-guard* ]]; then
		continue
	fi
	left="$left $f"
done < <(cat "$work/owned.list" "$work/conffiles.list")
[ -z "$left" ] || fail "left after dpkg -P:$left"
snapshot "$work/after.list"
comm -13 "$work/before.list" "$work/after.list" >"$work/new.list"
comm -23 "$work/before.list" "$work/after.list" >"$work/gone.list"
# A directory that was there before, empty and owned by no package, is
# adopted by dpkg when boot-guard installs into it and removed when the purge
# empties it again: that is dpkg's rule, not something boot-guard left.
adopted=$work/adopted.list
: >"$adopted"
while read -r f; do
	grep -qxF "$f" "$work/owned.list" || continue
	dpkg-query -S "$f" >/dev/null 2>&1 && continue
	echo "$f" >>"$adopted"
done <"$work/gone.list"
cat "$work/new.list" "$work/gone.list" | grep -xF -f "$work/owned.list" | grep -vxF -f "$adopted" >"$work/bad.list" || true
grep -h 'boot-guard' "$work/new.list" "$work/gone.list" >>"$work/bad.list" || true
if [ -s "$work/bad.list" ]; then
	fail "file lists before install and after purge differ in boot-guard's paths: $(sort -u "$work/bad.list" | tr '\n' ' ')"
fi
if [ -s "$work/new.list" ] || [ -s "$work/gone.list" ]; then
	echo "deb-lifecycle:   note: paths changed meanwhile by something else (not boot-guard's; not failing):"
	sed 's/^/    + /' "$work/new.list" | head -n 20
	sed 's/^/    - /' "$work/gone.list" | head -n 20
fi
ok "nothing of boot-guard left ($(wc -l <"$work/owned.list") paths checked; file lists compared)"

# ----------------------------------------------------------------- chroot ---
if [ "${CHROOT:-1}" = 0 ]; then
	step "chroot part skipped (CHROOT=0)"
	exit 0
fi
step "mmdebstrap --variant=minbase $SUITE: waiting for the background build"
rc=0
wait "$mm_pid" || rc=$?
mm_pid=
[ $rc = 0 ] || { tail -n 40 "$work/mmdebstrap.log" | show /dev/stdin; fail "mmdebstrap exited $rc"; }
ok "chroot built in $(($(date +%s) - mm_t0))s"
cp -n "$work"/chroot-archives/*.deb "$CACHE/archives/" 2>/dev/null || true

step "in the chroot: dpkg -i boot-guard"
show "$work/chroot-install.log"
[ "$(cat "$work/chroot-install.rc")" = 0 ] || fail "dpkg -i boot-guard in the chroot exited $(cat "$work/chroot-install.rc")"
ok "installed in a chroot without a root device"

step "in the chroot: apt-get install linux-image-$arch with boot-guard in place"
show "$work/chroot-kernel.log"
[ "$(cat "$work/chroot-kernel.rc")" = 0 ] || fail "the kernel install in the chroot exited $(cat "$work/chroot-kernel.rc"): boot-guard must not fail for want of a root device"
grep -q '^boot-guard:' "$work/chroot-kernel.log" || fail "no 'boot-guard:' line in the chroot's kernel install: the hooks did not run"
if grep -q 'not implemented yet' "$work/chroot-kernel.log"; then
	skip "the hook ran but is not implemented yet: cannot assert it says cannot-tell"
else
	grep '^boot-guard:' "$work/chroot-kernel.log" | grep -qi 'cannot.tell' ||
		fail "the hook in the chroot did not report cannot-tell for the root device"
	ok "the hook reported cannot-tell and the kernel install succeeded"
fi

ckver=$(cd "$chroot_dir/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n1)
[ -n "$ckver" ] || fail "no /boot/vmlinuz-* in the chroot"
[ -f "$chroot_dir/boot/initrd.img-$ckver" ] || fail "the chroot's kernel $ckver has no initrd"
bg=$chroot_dir/usr/sbin/boot-guard
step "verify --root on the chroot, kernel $ckver, initrd present"
rc=0
"$bg" verify --root "$chroot_dir" "$ckver" >"$work/verify1.log" 2>&1 </dev/null || rc=$?
show "$work/verify1.log"
case $rc in
0 | 2) ok "exit $rc with the initrd present (2 = cannot-tell: no device under --root)" ;;
*) fail "verify --root with the initrd present exited $rc" ;;
esac

step "verify --root on the chroot after deleting /boot/initrd.img-$ckver"
rm -f "$chroot_dir/boot/initrd.img-$ckver"
rc=0
"$bg" verify --root "$chroot_dir" "$ckver" >"$work/verify2.log" 2>&1 </dev/null || rc=$?
show "$work/verify2.log"
if grep -q 'not implemented yet' "$work/verify2.log"; then
	skip "verify is not implemented yet (exit $rc): cannot assert the missing initrd fails it"
else
	[ $rc = 1 ] || fail "verify --root with the initrd deleted exited $rc, want 1 (unbootable)"
	ok "exit 1 (unbootable) with the initrd deleted"
fi

step "in the chroot: dpkg -i boot-guard again, now that a kernel is unbootable: warns loudly, installs"
cp "$DEB" "$chroot_dir/tmp/"
rc=0
chroot "$chroot_dir" dpkg -i "/tmp/$(basename "$DEB")" </dev/null >"$work/chroot-reinstall.log" 2>&1 || rc=$?
rm -f "$chroot_dir/tmp/$(basename "$DEB")"
show "$work/chroot-reinstall.log"
[ $rc = 0 ] || fail "dpkg -i boot-guard exited $rc with an unbootable kernel installed: its own installation must not fail"
if grep -q 'not implemented yet' "$work/chroot-reinstall.log"; then
	skip "verify is not implemented yet: cannot assert the loud warning"
else
	grep -q '^boot-guard: WARNING: .*will NOT mount' "$work/chroot-reinstall.log" ||
		fail "postinst did not warn loudly about the unbootable kernel $ckver"
	ok "installed (exit 0) with a loud warning about kernel $ckver"
fi

step "in the chroot: dpkg --purge $kpkg (runs the kernel-prerm hook), then boot-guard"
rc=0
chroot "$chroot_dir" dpkg --purge "linux-image-$arch" "$kpkg" </dev/null >"$work/chroot-kpurge.log" 2>&1 || rc=$?
show "$work/chroot-kpurge.log"
[ $rc = 0 ] || fail "removing the kernel in the chroot exited $rc"
rc=0
chroot "$chroot_dir" dpkg --purge boot-guard </dev/null >"$work/chroot-purge.log" 2>&1 || rc=$?
[ $rc = 0 ] || { show "$work/chroot-purge.log"; fail "purging boot-guard in the chroot exited $rc"; }
ok "kernel and boot-guard purged in the chroot"

step "done: all checks passed ($nskip skipped until the hook protocols land)"
