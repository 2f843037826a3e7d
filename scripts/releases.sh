#!/usr/bin/env bash
# releases.sh: boot-guard's .deb on the Debian releases its users run now, through the REAL
# maintainer scripts of the REAL kernel packages (issue 14 item 3):
#
#   trixie (Debian 13): linux-image-amd64, initramfs-tools (its default generator), systemd
#     (a) the kernel package reinstalled (dpkg -i of its .deb): configure passes, boot-guard's
#         hooks ran and said "bootable";
#     (b) initramfs-tools with MODULES=list (ext4 only, no disk driver): the kernel package's
#         configure fails with boot-guard's message naming nvme; fixed, dpkg --configure -a passes;
#     (d) kernel-install add VERSION IMAGE with /boot/initrd.img-VERSION gone: fails because of
#         boot-guard's 89-boot-guard.install (systemd's 55-initrd.install exits 0 without it);
#     and a dracut image (dracut-core, --no-hostonly) for the real boots.
#   forky (Debian testing): its kernel (linux-image-amd64's dependencies, found in the archive),
#     dracut (its default generator)
#     (c) dracut's default in a chroot whose /dev is mounted is host-only: the verdict on that
#         image must match what it holds (ext4 and nvme there: passes; either missing: fails);
#         hostonly="no": passes; omit_drivers+=" nvme ": configure fails with boot-guard's message.
#
# The root device of a chroot is not known, so MODULES="nvme ext4" in /etc/default/boot-guard
# names what root needs (an NVMe disk with ext4, as the e2e rows boot). Every check fails the
# script when wrong. The hook directories linux-run-hooks runs, and in which order, are printed.
#
# It builds chroots (mmdebstrap --variant=minbase, as root) and installs packages into them, so it
# runs only with CI=true or --yes. Everything goes under $BG_RELEASES (default build/releases):
#   RELEASE/root           the minbase chroot with the kernel and generator (apt's lists and the
#                          fetched .debs kept, for reinstalls), where the checks run; rebuilt by
#                          the next run (from RELEASE/debs: no download) once checks ran in it
#   export/RELEASE/        for scripts/e2e: KERNEL (the version), vmlinuz, config,
#                          modules/ (its /lib/modules/VERSION tree), IMAGE.img (initrds)
#   RELEASE.log            every command's output
#
# Environment: BG_RELEASES (above); BG_MIRROR (default http://deb.debian.org/debian);
# BG_RELEASE_LIST (default "trixie forky"); DEB (default build/deb/boot-guard_V_amd64.deb, made
# with scripts/build-deb.sh when missing). The archive may be a snapshot whose Release files
# expired: Acquire::Check-Valid-Until is off, at build time and for apt inside.
set -Eeuo pipefail
trap 'echo "releases: FAIL: unexpected error (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
top=$PWD
# The body is one function, parsed whole before it runs: editing this file during a run is safe.
main() {

if [ "${CI:-}" != true ] && [ "${1:-}" != --yes ]; then
	echo "releases: this builds chroots and installs packages into them; run it with CI=true or --yes" >&2
	exit 2
fi
[ "$(id -u)" = 0 ] || { echo "releases: error: must run as root (mmdebstrap --mode=root, chroot)" >&2; exit 2; }
[ "$(dpkg --print-architecture)" = amd64 ] || { echo "releases: amd64 only" >&2; exit 2; }

export DEBIAN_FRONTEND=noninteractive
cache=${BG_RELEASES:-$top/build/releases}
mirror=${BG_MIRROR:-http://deb.debian.org/debian}
releases=${BG_RELEASE_LIST:-trixie forky}
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
DEB=${DEB:-$top/build/deb/boot-guard_${version}_amd64.deb}
noexpire='Acquire::Check-Valid-Until "false"'
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

t0=$(date +%s)
step() { echo "releases: [$(($(date +%s) - t0))s] $*"; }
fail() { echo "releases: FAIL: $*" >&2; exit 1; }
ok() { echo "releases:   ok: $*"; }
show() { sed 's/^/    | /' "$1"; }

command -v mmdebstrap >/dev/null ||
	apt-get -o DPkg::Lock::Timeout=900 -q install -y --no-install-recommends mmdebstrap >/dev/null
if [ ! -s "$DEB" ]; then
	step "no $DEB: building it (scripts/build-deb.sh, amd64)"
	ARCHES=amd64 bash scripts/build-deb.sh >/dev/null
fi
DEB=$(readlink -f "$DEB")

# Chroots mounted now, unmounted on exit whatever happens.
mounted=()
cleanup() {
	local rc=$? m
	set +e
	trap - ERR
	for m in "${mounted[@]}"; do
		umount -R "$m/dev" "$m/sys" "$m/proc" 2>/dev/null
		findmnt -R -n -o TARGET "$m" 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
	done
	exit "$rc"
}
trap cleanup EXIT

# base RELEASE PACKAGES: RELEASE/root, a minbase chroot with PACKAGES (comma-separated), kept while
# no check has run in it (the file .bg-pristine); else built again, from the .debs fetched the first
# time (RELEASE/debs) when they are there.
base() {
	local rel=$1 pkgs=$2 r=$cache/$1/root
	[ -e "$r/.bg-pristine" ] && return 0
	if [ -d "$r" ]; then
		findmnt -R -n -o TARGET "$r" 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
		rm -rf --one-file-system "$r"
	fi
	mkdir -p "$cache/$rel/debs"
	# INITRD=No: the kernel hooks build no initrd here (every check below builds its own).
	INITRD=No mmdebstrap --variant=minbase --mode=root --format=directory --aptopt="$noexpire" \
		--include="$pkgs" --skip=cleanup/apt \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
		--setup-hook="sync-in $cache/$rel/debs /var/cache/apt/archives" \
		"$rel" "$r" "$mirror" >"$cache/$rel.mmdebstrap.log" 2>&1 || {
		tail -n 30 "$cache/$rel.mmdebstrap.log" >&2
		return 1
	}
	cp -lf "$r"/var/cache/apt/archives/*.deb "$cache/$rel/debs/" 2>/dev/null || true
	touch "$r/.bg-pristine"
}

# enter RELEASE: into RELEASE/root, /proc /sys /dev mounted as a maintainer script run by hand in
# a chroot has them (schroot, a build script's bind mounts).
root=
enter() {
	local rel=$1
	root=$cache/$rel/root
	[ -e "$root/.bg-pristine" ] || fail "$root is not a fresh chroot"
	rm "$root/.bg-pristine"
	mount -t proc proc "$root/proc"
	mount -t sysfs sys "$root/sys"
	mount --rbind /dev "$root/dev"
	mounted+=("$root")
	cp "$DEB" "$root/tmp/boot-guard.deb"
}
leave() {
	umount -R "$root/dev" "$root/sys" "$root/proc"
	mounted=()
}

log=
# run NAME CMD...: CMD inside the chroot; output in $cache/NAME.out (and the log); its exit in $rc.
rc=0
run() {
	local name=$1
	shift
	rc=0
	chroot "$root" "$@" </dev/null >"$cache/$name.out" 2>&1 || rc=$?
	{ echo "### $name: $* (exit $rc)"; cat "$cache/$name.out"; } >>"$log"
}
want_rc0() { [ "$rc" = 0 ] || { show "$cache/$1.out"; fail "$1: exit $rc, want 0"; }; }
want_fail() { [ "$rc" != 0 ] || { show "$cache/$1.out"; fail "$1: exit 0, want a failure"; }; }
has() { grep -qE -- "$2" "$cache/$1.out" || { show "$cache/$1.out"; fail "$1: no line matching '$2' in its output"; }; }

# hookorder: the hook scripts linux-run-hooks would run for a kernel's postinst, in order (it hands
# run-parts both directories; debianutils >= 5.21 merges them by name).
hookorder() {
	local d dirs=()
	for d in /etc/kernel/postinst.d /usr/share/kernel/postinst.d; do
		[ -d "$root$d" ] && dirs+=("$d")
	done
	chroot "$root" run-parts --test --arg=V --arg=/boot/vmlinuz-V "${dirs[@]}" | tr '\n' ' '
}

# export_kernel RELEASE VERSION: the kernel, its config and module tree, for scripts/e2e.
export_kernel() {
	local rel=$1 kv=$2 x=$cache/export/$1
	rm -rf "$x"
	mkdir -p "$x"
	cp "$root/boot/vmlinuz-$kv" "$x/vmlinuz"
	cp "$root/boot/config-$kv" "$x/config"
	cp -a "$root/lib/modules/$kv" "$x/modules"
	echo "$kv" >"$x/KERNEL"
}
export_image() { # export_image RELEASE NAME: /boot/initrd.img-VERSION as export/RELEASE/NAME.img
	cp "$root/boot/initrd.img-$kver" "$cache/export/$1/$2.img"
	chmod 0644 "$cache/export/$1/$2.img"
}
# lists IMAGE MODULE: does IMAGE (in the chroot) hold MODULE.ko*? (boot-guard's own lister; the
# CI stage 20-initrd-real shows it prints what lsinitramfs prints)
holds() { chroot "$root" boot-guard ls "$1" | grep -qE "/$2\.ko(\.[a-z]+)?$"; }

# newest_kernel: the version of the kernel linux-image-amd64 pulled in (never hard-coded).
newest_kernel() {
	ls "$root/lib/modules" | sort -V | tail -n1
}
kernel_deb() { # kernel_deb VERSION: the .deb of linux-image-VERSION that apt fetched (in the chroot)
	local f
	f=$(cd "$root/var/cache/apt/archives" && ls "linux-image-$1"_*.deb 2>/dev/null | head -n1)
	[ -n "$f" ] || fail "no linux-image-$1 .deb in the chroot's apt cache"
	echo "/var/cache/apt/archives/$f"
}

summary() { echo "$1" >>"$cache/$rel_now.summary"; } # summary "RELEASE|GENERATOR|KERNEL|HOOK PATH|WHAT HAPPENED"
rel_now=

# prelude RELEASE: into its chroot; kver (the kernel's version), kre (as a regular expression),
# kdeb (its linux-image .deb); boot-guard's .deb installed, MODULES="nvme ext4".
kver= kre= kdeb=
prelude() {
	log=$cache/$1.log rel_now=$1
	: >"$log"
	: >"$cache/$1.summary"
	trap cleanup EXIT
	enter "$1"
	kver=$(newest_kernel)
	kre=${kver//+/\\+}
	kre=${kre//./\\.}
	kdeb=$(kernel_deb "$kver")
	step "$1: kernel $kver ($(chroot "$root" dpkg-query -W -f='${Package} ${Version}\n' | grep -E "^linux-[a-z]+-$kre |^(initramfs-tools|dracut|dracut-core|systemd) " | tr '\n' ',' | sed 's/,$//; s/,/, /g'))"
	echo "releases:   postinst hooks in linux-run-hooks' order (no boot-guard yet): $(hookorder)"
	run "$1-install" dpkg -i /tmp/boot-guard.deb
	want_rc0 "$1-install"
	printf 'MODULES="nvme ext4"\n' >>"$root/etc/default/boot-guard"
	echo "releases:   postinst hooks with boot-guard: $(hookorder)"
}

# ------------------------------------------------------------------------------------- trixie ---
trixie() {
	prelude trixie

	step "trixie (a): dpkg -i $(basename "$kdeb") (a reinstall: preinst, postinst configure, linux-run-hooks)"
	run trixie-a dpkg -i "$kdeb"
	want_rc0 trixie-a
	has trixie-a '^/etc/kernel/postinst.d/zz-boot-guard:'
	has trixie-a "^boot-guard: kernel $kre: bootable"
	ok "configure passed; boot-guard ran from /etc/kernel/postinst.d/zz-boot-guard (and /etc/initramfs/post-update.d/zz-boot-guard from update-initramfs): $(grep -m1 "^boot-guard: kernel $kver" "$cache/trixie-a.out")"
	export_kernel trixie "$kver"
	export_image trixie initramfs
	summary "trixie|initramfs-tools $(chroot "$root" dpkg-query -W -f='${Version}' initramfs-tools) (MODULES=most)|$kver|linux-run-hooks: /etc/kernel/postinst.d/initramfs-tools -> update-initramfs -> /etc/initramfs/post-update.d/zz-boot-guard; then /etc/kernel/postinst.d/zz-boot-guard|reinstall: configure passed, bootable"

	step "trixie (b): MODULES=list with ext4 only in /etc/initramfs-tools: the kernel's configure must fail"
	sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
	echo ext4 >>"$root/etc/initramfs-tools/modules"
	run trixie-b dpkg -i "$kdeb"
	want_fail trixie-b
	has trixie-b "^boot-guard: error: kernel $kre will not mount its root filesystem"
	has trixie-b 'lacks module nvme'
	has trixie-b 'initramfs-tools has MODULES=list'
	holds "/boot/initrd.img-$kver" nvme && fail "trixie (b): the MODULES=list image holds nvme.ko"
	ok "configure failed (exit $rc): $(grep -m1 'lacks module' "$cache/trixie-b.out")"
	ok "status: $(chroot "$root" dpkg-query -W -f='${Package} ${Status}' "linux-image-$kver")"
	export_image trixie noroot
	summary "trixie|initramfs-tools, MODULES=list (ext4 only)|$kver|/etc/initramfs/post-update.d/zz-boot-guard (run by update-initramfs from /etc/kernel/postinst.d/initramfs-tools)|configure failed: lacks module nvme"
	# Back to MODULES=most and (a)'s image, without another build: the package stays half-configured.
	sed -i 's/^MODULES=.*/MODULES=most/' "$root/etc/initramfs-tools/initramfs.conf"
	cp "$cache/export/trixie/initramfs.img" "$root/boot/initrd.img-$kver"

	step "trixie (d): kernel-install add $kver /boot/vmlinuz-$kver with the initrd gone"
	# dracut-core is here only to build the e2e's dracut image: its kernel-install plugins would make
	# an initrd, which a trixie system with initramfs-tools does not have. Masked as kernel-install(8)
	# says (a symlink to /dev/null in /etc/kernel/install.d).
	mkdir -p "$root/etc/kernel/install.d"
	ln -sf /dev/null "$root/etc/kernel/install.d/50-dracut.install"
	ln -sf /dev/null "$root/etc/kernel/install.d/51-dracut-rescue.install"
	if chroot "$root" sh -c 'command -v kernel-install' >/dev/null; then
		mv "$root/boot/initrd.img-$kver" "$root/boot/initrd.img-$kver.away"
		run trixie-d kernel-install --verbose add "$kver" "/boot/vmlinuz-$kver"
		want_fail trixie-d
		has trixie-d '89-boot-guard.install'
		has trixie-d "^boot-guard: error: kernel $kre will not mount"
		ok "kernel-install failed (exit $rc) in boot-guard's plugin: $(grep -m1 -E '^boot-guard: error: kernel .*: (no initrd|.*initrd)' "$cache/trixie-d.out" || grep -m1 '^boot-guard: error' "$cache/trixie-d.out")"
		mv "$root/boot/initrd.img-$kver.away" "$root/boot/initrd.img-$kver"
		run trixie-d-ok kernel-install --verbose add "$kver" "/boot/vmlinuz-$kver"
		want_rc0 trixie-d-ok
		has trixie-d-ok "^boot-guard: kernel $kre: bootable"
		ok "with the initrd back: kernel-install add passes, bootable"
		summary "trixie|(none: initrd missing)|$kver|kernel-install: /usr/lib/kernel/install.d/89-boot-guard.install|kernel-install add failed (55-initrd.install alone exits 0)"
	else
		fail "trixie: no kernel-install in the chroot (systemd not installed?)"
	fi

	step "trixie: a dracut image (dracut-core $(chroot "$root" dpkg-query -W -f='${Version}' dracut-core), --no-hostonly) for the real boots"
	run trixie-dracut dracut --force --no-hostonly --no-hostonly-cmdline /tmp/dracut.img "$kver"
	want_rc0 trixie-dracut
	run trixie-dracut-verify boot-guard verify --initrd /tmp/dracut.img --module nvme --module ext4 "$kver"
	want_rc0 trixie-dracut-verify
	cp "$root/tmp/dracut.img" "$cache/export/trixie/dracut.img"
	chmod 0644 "$cache/export/trixie/dracut.img"
	ok "dracut image: $(grep -m1 '^boot-guard: kernel' "$cache/trixie-dracut-verify.out")"
	leave
}

# -------------------------------------------------------------------------------------- forky ---
forky() {
	prelude forky

	step "forky (c): dpkg -i $(basename "$kdeb"), dracut's defaults, /dev mounted: dracut builds host-only"
	run forky-c0 dpkg -i "$kdeb"
	has forky-c0 '^/etc/kernel/postinst.d/dracut:'
	has forky-c0 '^/etc/kernel/postinst.d/zz-boot-guard:'
	[ -e "$root/boot/vmlinuz-$kver" ] || fail "forky: no /boot/vmlinuz-$kver after configure (00-legacy-boot)"
	local what
	if holds "/boot/initrd.img-$kver" nvme && holds "/boot/initrd.img-$kver" ext4; then
		want_rc0 forky-c0
		has forky-c0 "^boot-guard: kernel $kre: bootable"
		what="host-only image holds nvme and ext4: configure passed, bootable"
	else
		want_fail forky-c0
		has forky-c0 "^boot-guard: error: kernel $kre will not mount its root filesystem"
		has forky-c0 'lacks module (nvme|ext4)'
		what="host-only image: configure failed: $(grep -m1 -o 'lacks module [a-z0-9_-]*' "$cache/forky-c0.out")"
	fi
	ok "$what"
	export_kernel forky "$kver"
	export_image forky hostonly
	summary "forky|dracut $(chroot "$root" dpkg-query -W -f='${Version}' dracut) default (host-only; chroot with /dev mounted)|$kver|linux-run-hooks: /etc/kernel/postinst.d/dracut, then /etc/kernel/postinst.d/zz-boot-guard|$what"

	step "forky (c): hostonly=\"no\" in /etc/dracut.conf.d: a reinstall passes"
	printf 'hostonly="no"\n' >"$root/etc/dracut.conf.d/90-generic.conf"
	run forky-c1 dpkg -i "$kdeb"
	want_rc0 forky-c1
	has forky-c1 '^/etc/kernel/postinst.d/zz-boot-guard:'
	has forky-c1 "^boot-guard: kernel $kre: bootable"
	ok "configure passed: $(grep -m1 "^boot-guard: kernel $kver" "$cache/forky-c1.out")"
	export_image forky dracut
	summary "forky|dracut, hostonly=\"no\"|$kver|/etc/kernel/postinst.d/zz-boot-guard|reinstall: configure passed, bootable"

	step "forky (c): omit_drivers+=\" nvme \": the kernel's configure must fail"
	printf 'omit_drivers+=" nvme "\n' >"$root/etc/dracut.conf.d/91-omit-nvme.conf"
	run forky-c2 dpkg -i "$kdeb"
	want_fail forky-c2
	has forky-c2 "^boot-guard: error: kernel $kre will not mount its root filesystem"
	has forky-c2 'lacks module nvme'
	holds "/boot/initrd.img-$kver" nvme && fail "forky (c): the omit_drivers image holds nvme.ko"
	ok "configure failed (exit $rc): $(grep -m1 'lacks module' "$cache/forky-c2.out")"
	export_image forky no-nvme
	summary "forky|dracut, hostonly=\"no\", omit_drivers+=\" nvme \"|$kver|/etc/kernel/postinst.d/zz-boot-guard|configure failed: lacks module nvme"

	step "forky (d): kernel-install add $kver, nvme still omitted (dracut's 50-dracut.install builds the initrd)"
	run forky-d kernel-install --verbose add "$kver" "/boot/vmlinuz-$kver"
	want_fail forky-d
	has forky-d '89-boot-guard.install'
	has forky-d 'lacks module nvme'
	ok "kernel-install add failed (exit $rc) in boot-guard's plugin on the staged initrd"
	summary "forky|dracut via kernel-install (50-dracut.install, staging area), nvme omitted|$kver|/usr/lib/kernel/install.d/89-boot-guard.install|kernel-install add failed: lacks module nvme"

	leave
}

step "chroots in $cache (mirror $mirror): $releases"
pids=()
for rel in $releases; do
	case $rel in
	trixie) base trixie linux-image-amd64,initramfs-tools,zstd,systemd,dracut-core & ;;
	forky) base forky linux-image-amd64,dracut,zstd,systemd & ;;
	*) fail "unknown release $rel (trixie, forky)" ;;
	esac
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "mmdebstrap failed (logs: $cache/*.mmdebstrap.log)"; done
step "chroots ready"
# The releases' checks run side by side (each mostly one core: mkinitramfs, dracut); each one's
# report is printed when all are done.
pids=()
for rel in $releases; do
	"$rel" >"$cache/$rel.report" 2>&1 &
	pids+=($!)
done
failed=
set -- $releases
for p in "${pids[@]}"; do
	wait "$p" || failed="$failed $1"
	cat "$cache/$1.report"
	shift
done
[ -z "$failed" ] || fail "checks failed on:$failed (the lines above; every command's output: $cache/RELEASE.log)"

step "done: every check passed in $(($(date +%s) - t0))s"
echo
printf '%-8s %-62s %-22s %s\n' release generator kernel "hook path -> what happened"
for rel in $releases; do
	while IFS='|' read -r r g k h w; do
		printf '%-8s %-62s %-22s %s -> %s\n' "$r" "$g" "$k" "$h" "$w"
	done <"$cache/$rel.summary"
done
}

main "$@"; exit $?
