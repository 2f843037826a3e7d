#!/usr/bin/env bash
# audit-real-system.sh: boot-guard's audit, APT hook and kernel-prerm hook
# against Debian 12's real tools on a real machine:
#
#   1. grub-mkconfig: Debian's own grub-mkconfig and /etc/grub.d scripts
#      (grub-common, unpacked, never installed) write a grub.cfg in a private
#      mount namespace for a separate /boot holding this machine's kernel with
#      its real initrd and a newer kernel without an initrd; `audit --root`
#      must call the default (the newer one) unbootable and name the real
#      kernel as the fallback with grub-set-default; then GRUB's own
#      grub-editenv sets saved_entry / next_entry and audit must follow.
#   2. the APT hook after a real apt-get run (installing and purging the
#      small package "hello") with that grub.cfg as the machine's: a loud
#      block, and apt still succeeds. It also times a first (uncached) and a
#      second (cached) run of the hook.
#   3. kernel-prerm on a real kernel package removal: it installs
#      linux-image-cloud-amd64, checks the hook allows removing it while
#      the original kernel boots, then, in a mount namespace where the
#      original kernel's initrd looks empty (a bind mount: the real file is
#      never touched), `apt-get remove` of the cloud kernel must be refused
#      and the override BOOT_GUARD=off must let the real removal through.
#
# It changes the machine (packages, /etc/kernel/prerm.d), so it runs only
# with CI=true or --yes; a trap undoes every change, whatever happens.
# Needs root, unshare(1), apt access to Debian's archive and Go.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${CI:-}" != true && "${1:-}" != --yes ]]; then
	echo "audit-real-system.sh: installs and removes packages; run it with --yes (or CI=true) on a throwaway machine"
	exit 0
fi
export PATH=/usr/local/go/bin:$HOME/go/bin:/usr/sbin:/sbin:$PATH
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=900 -y -q)
start=$(date +%s)
step() { echo "--- $(date -u +%T) (+$(($(date +%s) - start))s) $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[[ $EUID == 0 ]] || fail "run as root (it installs packages and uses mount namespaces)"
work=$(mktemp -d /tmp/boot-guard-audit.XXXXXX)
chmod 755 "$work"
installed_hello=no installed_cloud=no created_prerm_dir=no had_cache=no
# The APT hook's cache is the machine's: keep a copy, put it back at the end.
if [[ -e /run/boot-guard/apt-audit.json ]]; then
	had_cache=yes
	cp -p /run/boot-guard/apt-audit.json "$work/apt-audit.json.saved"
fi
cleanup() {
	local rc=$?
	set +e
	step "cleanup"
	rm -f /etc/kernel/prerm.d/00-boot-guard-ci
	[[ $created_prerm_dir == yes ]] && rmdir /etc/kernel/prerm.d 2>/dev/null
	if [[ $installed_hello == yes ]]; then "${APT[@]}" purge hello >/dev/null 2>&1; fi
	if [[ $installed_cloud == yes ]]; then
		# BOOT_GUARD=off: the cleanup must never be refused.
		BOOT_GUARD=off "${APT[@]}" purge linux-image-cloud-amd64 "linux-image-*-cloud-amd64" >/dev/null 2>&1
	fi
	if [[ $had_cache == yes ]]; then
		cp -p "$work/apt-audit.json.saved" /run/boot-guard/apt-audit.json
	else
		rm -f /run/boot-guard/apt-audit.json
		rmdir /run/boot-guard 2>/dev/null
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

step "build boot-guard"
CGO_ENABLED=0 go build -trimpath -o "$work/boot-guard" ./cmd/boot-guard
BG=$work/boot-guard
# A fresh machine may not have package lists yet.
if ! apt-cache show grub-common hello linux-image-cloud-amd64 >/dev/null 2>&1; then
	step "apt-get update"
	apt-get -o DPkg::Lock::Timeout=900 -q update >/dev/null
fi
command -v jq >/dev/null || "${APT[@]}" install jq >/dev/null

# The newest installed kernel (not a cloud one, not dpkg's temporary files).
K=$(find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | grep -Ev 'cloud|\.dpkg-|\.old|\.bak' | sort -V | tail -1)
[[ -n $K ]] || fail "no installed kernel (/boot/vmlinuz-*) to test with"
# A snapshot of its image and initrd, taken when boot-guard calls it
# bootable: the scenarios below use the snapshot, so another job rebuilding
# the real initrd meanwhile (a shared machine) cannot change their outcome.
snap=$work/snap
mkdir "$snap"
for try in 1 2 3 4 5 6 7 8 9 10; do
	step "installed kernel $K: snapshot and boot-guard verify (try $try)"
	if cp "/boot/vmlinuz-$K" "$snap/vmlinuz-$K" && cp "/boot/initrd.img-$K" "$snap/initrd.img-$K" &&
		"$BG" verify "$K" --initrd "$snap/initrd.img-$K"; then
		break
	fi
	[[ $try == 10 ]] && fail "kernel $K is not bootable according to boot-guard: the scenarios below need one bootable kernel"
	echo "    not bootable now: another job may be rebuilding its initrd; retrying in 15s"
	sleep 15
done
rootsrc=$(findmnt -no SOURCE /)

# ---------------------------------------------------------------------------
step "1. grub.cfg from Debian 12's real grub-mkconfig (grub-common unpacked in $work/grub)"
(cd "$work" && apt-get download -q grub-common >/dev/null 2>&1) || fail "apt-get download grub-common"
mkdir "$work/grub"
dpkg-deb -x "$work"/grub-common_*.deb "$work/grub"
G=$work/grub
ROOT_UUID=7c0ffee0-2222-4d4d-8e8e-0123456789ab
BOOT_UUID=0b5e7a0c-1111-4a4a-9c9c-0123456789ab
NEWER=6.1.0-999-amd64 # a newer kernel with no initrd: the half-configured one
# grub-probe answers for a disk that does not exist here: / on vda2, /boot on
# vda1, both ext4 on GPT (grub-mkconfig asks it about devices only).
cat >"$work/fake-grub-probe" <<EOF
#!/bin/sh
target=""; path=""
for a in "\$@"; do case "\$a" in --target=*) target=\${a#--target=} ;; -*) ;; *) path=\$a ;; esac; done
case "\$path" in
  /boot|/boot/*|/dev/vda1) d=/dev/vda1 uuid=$BOOT_UUID part=gpt1 ;;
  *) d=/dev/vda2 uuid=$ROOT_UUID part=gpt2 ;;
esac
case "\$target" in
  device) echo \$d ;; fs) echo ext2 ;; fs_uuid) echo \$uuid ;; partuuid) echo 00000000-0000-4000-8000-00000000000\${part#gpt} ;;
  fs_label|abstraction|cryptodisk_uuid) echo "" ;; partmap) echo gpt ;; drive) echo "(hd0,\$part)" ;;
  compatibility_hint|bios_hints|efi_hints|baremetal_hints) echo "hd0,\$part" ;;
  hints_string) echo "--hint-bios=hd0,\$part --hint-efi=hd0,\$part --hint-baremetal=ahci0,\$part" ;;
  disk) echo /dev/vda ;; *) echo "fake-grub-probe: unknown target \$target" >&2; exit 1 ;;
esac
EOF
chmod +x "$work/fake-grub-probe"
mkdir -p "$work/etc/default" "$work/etc/grub.d"
cp -a "$G/etc/grub.d/." "$work/etc/grub.d/"
sed -i "s:/usr/share/grub/grub-mkconfig_lib:$G/usr/share/grub/grub-mkconfig_lib:" "$work"/etc/grub.d/*
cat >"$work/etc/default/grub" <<'EOF'
GRUB_DEFAULT=saved
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
EOF
sed -e "s|^sysconfdir=.*|sysconfdir=$work/etc|" -e "s|^grub_probe=.*|grub_probe=$work/fake-grub-probe|" \
	-e "s|^bindir=.*|bindir=$G/usr/bin|" "$G/usr/sbin/grub-mkconfig" >"$work/grub-mkconfig"
# In a private mount namespace: /boot is a tmpfs (a separate /boot) with
# this machine's kernel and initrd names and the newer kernel without an
# initrd; /dev has the udev links 10_linux looks for. Nothing outside the
# namespace sees these mounts.
unshare -m --propagation private env G="$G" W="$work" K="$K" NEWER="$NEWER" RU="$ROOT_UUID" BU="$BOOT_UUID" bash -euc '
	mount -t tmpfs none /boot
	mkdir /boot/grub
	echo placeholder >/boot/vmlinuz-$K; echo placeholder >/boot/initrd.img-$K; echo placeholder >/boot/vmlinuz-$NEWER
	mount -t tmpfs none /dev
	mknod -m 666 /dev/null c 1 3
	touch /dev/vda1 /dev/vda2
	mkdir -p /dev/disk/by-uuid
	ln -s ../../vda2 /dev/disk/by-uuid/$RU; ln -s ../../vda1 /dev/disk/by-uuid/$BU
	export pkgdatadir=$G/usr/share/grub grub_probe=$W/fake-grub-probe grub_mkrelpath=$G/usr/bin/grub-mkrelpath grub_file=$G/usr/bin/grub-file grub_editenv=$G/usr/bin/grub-editenv
	PATH=$G/usr/bin:$PATH sh $W/grub-mkconfig -o $W/grub.cfg
'
grep -q "initrd	/initrd.img-$K" "$work/grub.cfg" || fail "grub-mkconfig wrote no initrd line for $K"
grep -A12 "Linux $NEWER'" "$work/grub.cfg" | grep -q initrd && fail "grub-mkconfig wrote an initrd line for $NEWER"

# The scratch root an image builder would hand to --root: /boot as the
# generated files (the kernel and initrd of $K are the real ones), the real
# module trees, an fstab with the separate /boot.
R=$work/root
mkdir -p "$R/boot/grub" "$R/etc/default" "$R/lib"
cp "$work/grub.cfg" "$R/boot/grub/grub.cfg"
# Copies (hard links where they can be), not symbolic links: under --root an
# absolute link resolves inside the root, as in a chroot (issue 17 item 5).
cp -l "$snap/vmlinuz-$K" "$snap/initrd.img-$K" "$R/boot/" 2>/dev/null || cp "$snap/vmlinuz-$K" "$snap/initrd.img-$K" "$R/boot/"
echo "not a kernel" >"$R/boot/vmlinuz-$NEWER"
mkdir -p "$R/lib/modules"
cp -al "/lib/modules/$K" "$R/lib/modules/" 2>/dev/null || cp -a "/lib/modules/$K" "$R/lib/modules/"
cp "$work/etc/default/grub" "$R/etc/default/grub"
printf 'UUID=%s / ext4 errors=remount-ro 0 1\nUUID=%s /boot ext4 defaults 0 2\n' "$ROOT_UUID" "$BOOT_UUID" >"$R/etc/fstab"

modules=(--module virtio_blk --module ext4)
step "1a. audit --root: the default ($NEWER, no initrd) is unbootable; $K is the fallback"
set +e
"$BG" audit --root "$R" "${modules[@]}" --json >"$work/a1.json" 2>"$work/a1.err"
rc=$?
set -e
"$BG" audit --root "$R" "${modules[@]}" 2>&1 | sed 's/^/    /' || true
[[ $rc == 1 ]] || fail "audit exit $rc, want 1: $(cat "$work/a1.err")"
jq -e --arg k "$K" --arg n "$NEWER" '
	.verdict == "unbootable" and .loader == "grub" and
	.entries[.default].version == $n and (.entries[.default].initrds | length) == 0 and
	.fallback.version == $k and (.fallback.command | startswith("grub-set-default ")) and
	(.fallback.once_command | startswith("grub-reboot ")) and
	.entries[.fallback.entry].verdict == "bootable" and .entries[.fallback.entry].root_match == "match"' \
	"$work/a1.json" >/dev/null || fail "audit report: $(jq -c '{verdict, default, fallback}' "$work/a1.json")"
sel=$(jq -r .fallback.selector "$work/a1.json")
first=$(jq -r '.entries[0].selector' "$work/a1.json")

step "1b. GRUB's grub-editenv sets saved_entry=$sel: audit follows it (bootable)"
"$G/usr/bin/grub-editenv" "$R/boot/grub/grubenv" create
"$G/usr/bin/grub-editenv" "$R/boot/grub/grubenv" set "saved_entry=$sel"
"$BG" audit --root "$R" "${modules[@]}" --json >"$work/a2.json" 2>/dev/null || fail "audit after saved_entry: exit $?"
jq -e --arg k "$K" '.verdict == "bootable" and .entries[.default].version == $k and (.default_from | contains("saved_entry"))' "$work/a2.json" >/dev/null ||
	fail "after grub-editenv: $(jq -c '{verdict, default, default_from}' "$work/a2.json")"

step "1c. grub-editenv next_entry (what grub-reboot writes) wins for one boot"
"$G/usr/bin/grub-editenv" "$R/boot/grub/grubenv" set "next_entry=$first"
set +e
"$BG" audit --root "$R" "${modules[@]}" --json >"$work/a3.json" 2>/dev/null
rc=$?
set -e
[[ $rc == 1 ]] && jq -e '.one_shot == true and .default == 0' "$work/a3.json" >/dev/null || fail "next_entry: exit $rc $(jq -c '{verdict, default, one_shot}' "$work/a3.json")"

# ---------------------------------------------------------------------------
step "2. the APT hook after a real apt-get run (grub.cfg above as this machine's, in a mount namespace)"
case $rootsrc in
/dev/*) rootspec=$rootsrc ;;
*) rootspec="" ;;
esac
sed -e "s|root=UUID=$ROOT_UUID|root=${rootspec:-UUID=$ROOT_UUID}|g" -e "s|root=/dev/vda2|root=/dev/vda-missing|g" "$work/grub.cfg" >"$work/grub-host.cfg"
dpkg -s hello >/dev/null 2>&1 || installed_hello=yes
hook_cmd="$BG hook apt || true"
unshare -m --propagation private env W="$work" K="$K" NEWER="$NEWER" BG="$BG" HOOK="$hook_cmd" bash -euc '
	mount -t tmpfs none /boot
	mkdir /boot/grub
	ln -s $W/snap/vmlinuz-$K /boot/vmlinuz-$K
	ln -s $W/snap/initrd.img-$K /boot/initrd.img-$K
	echo "not a kernel" >/boot/vmlinuz-$NEWER
	cp $W/grub-host.cfg /boot/grub/grub.cfg
	# /etc/default as it is, plus the grub file grub-mkconfig used
	# (GRUB_DEFAULT=saved), seen only in this namespace.
	cp -a /etc/default $W/etc-default
	cp $W/etc/default/grub $W/etc-default/grub
	mount --bind $W/etc-default /etc/default
	rm -f /run/boot-guard/apt-audit.json
	t0=$(date +%s%N); $BG hook apt 2>$W/hook1.err || true; t1=$(date +%s%N)
	$BG hook apt 2>$W/hook2.err || true; t2=$(date +%s%N)
	echo "    APT hook: first run $(( (t1 - t0) / 1000000 )) ms (verifies every kernel), second run $(( (t2 - t1) / 1000000 )) ms (cache)"
	set +e
	apt-get -o DPkg::Lock::Timeout=900 -o "DPkg::Post-Invoke::=$HOOK" -y -q install hello >$W/apt.out 2>&1
	echo $? >$W/apt.rc
'
sed 's/^/    /' "$work/apt.out" | grep -E 'boot-guard|Setting up hello' || true
grep -q "Problem executing scripts DPkg::Post-Invoke" "$work/apt.out" && fail "the APT hook failed apt: $(tail -20 "$work/apt.out")"
dpkg-query -W -f='${db:Status-Abbrev}' hello 2>/dev/null | grep -q '^ii' || fail "hello not installed: $(tail -20 "$work/apt.out")"
if [[ $(cat "$work/apt.rc") != 0 ]]; then
	# dpkg also configures whatever else is pending; on a shared machine
	# another test's half-configured package can fail the run. That is not
	# the hook's doing only if dpkg names packages other than hello.
	others=$(grep -o "error processing package [^ ]*" "$work/apt.out" | awk '{print $4}' | grep -vx hello | sort -u | tr '\n' ' ')
	[[ -n $others ]] || fail "apt-get install hello failed (exit $(cat "$work/apt.rc")): $(tail -20 "$work/apt.out")"
	echo "    note: apt-get exited $(cat "$work/apt.rc") because dpkg failed on other pending packages ($others), not on hello or the hook"
fi
grep -q "boot-guard: error: the DEFAULT boot entry will NOT boot" "$work/apt.out" || fail "no loud block in apt's output"
grep -q "never fails apt" "$work/apt.out" || fail "the hook's closing line is missing"
if [[ -n $rootspec ]]; then
	grep -q "boot-guard: fallback: \"Debian GNU/Linux, with Linux $K\" (kernel $K) will boot" "$work/apt.out" || fail "no fallback in the APT hook's block"
	grep -q "boot-guard: hint: make it the default: grub-set-default" "$work/apt.out" || fail "no grub-set-default command in the APT hook's block"
fi
cmp -s "$work/hook1.err" "$work/hook2.err" || fail "the cached run said something else than the first"

# ---------------------------------------------------------------------------
step "3. kernel-prerm on a real kernel package removal"
if dpkg -s linux-image-cloud-amd64 >/dev/null 2>&1; then
	echo "    linux-image-cloud-amd64 is already installed here: not touching it; skipping part 3"
else
	installed_cloud=yes
	"${APT[@]}" install linux-image-cloud-amd64 >"$work/cloud.out" 2>&1 || fail "install linux-image-cloud-amd64: $(tail -5 "$work/cloud.out")"
	C=$(find /boot -maxdepth 1 -name 'vmlinuz-*-cloud-amd64' -printf '%f\n' | sed 's/^vmlinuz-//' | grep -Ev '\.dpkg-' | sort -V | tail -1)
	[[ -n $C ]] || fail "no cloud kernel in /boot after installing it"
	step "3a. the cloud kernel $C: boot-guard verify"
	"$BG" verify "$C" "${modules[@]}" || fail "the freshly installed $C is not bootable according to boot-guard"
	if [[ ! -d /etc/kernel/prerm.d ]]; then
		mkdir -p /etc/kernel/prerm.d
		created_prerm_dir=yes
	fi
	printf '#!/bin/sh\nexec %s hook kernel-prerm "$@"\n' "$BG" >/etc/kernel/prerm.d/00-boot-guard-ci
	chmod 755 /etc/kernel/prerm.d/00-boot-guard-ci

	step "3b. while $K boots, removing $C is allowed (hook called as prerm.d calls it; $K's initrd is the snapshot)"
	unshare -m --propagation private bash -c "mount --bind '$snap/initrd.img-$K' '/boot/initrd.img-$K' && DEB_MAINT_PARAMS=remove '$BG' hook kernel-prerm '$C' '/boot/vmlinuz-$C'" ||
		fail "the hook refused although $K boots"

	step "3c. where $K's initrd looks empty (bind mount in a namespace), apt-get remove $C is refused"
	: >"$work/empty"
	set +e
	unshare -m --propagation private bash -c "mount --bind '$work/empty' '/boot/initrd.img-$K' && apt-get -o DPkg::Lock::Timeout=900 -y -q remove 'linux-image-$C'" >"$work/rm1.out" 2>&1
	rc=$?
	set -e
	grep 'boot-guard' "$work/rm1.out" | sed 's/^/    /'
	[[ $rc != 0 ]] || fail "apt-get remove linux-image-$C succeeded: the hook did not refuse"
	grep -q "refusing to remove kernel $C" "$work/rm1.out" || fail "no refusal message"
	grep -q "BOOT_GUARD=off apt-get remove linux-image-$C" "$work/rm1.out" || fail "the refusal does not name the override"
	dpkg-query -W -f='${db:Status-Status}' "linux-image-$C" | grep -qx installed || fail "linux-image-$C is not installed any more after the refusal"
	[[ -e /boot/vmlinuz-$C ]] || fail "/boot/vmlinuz-$C is gone after the refusal"

	step "3d. the override: BOOT_GUARD=off apt-get remove $C goes through (same namespace view)"
	unshare -m --propagation private bash -c "mount --bind '$work/empty' '/boot/initrd.img-$K' && BOOT_GUARD=off apt-get -o DPkg::Lock::Timeout=900 -y -q remove 'linux-image-$C'" >"$work/rm2.out" 2>&1 ||
		fail "BOOT_GUARD=off apt-get remove failed: $(tail -5 "$work/rm2.out")"
	grep 'boot-guard' "$work/rm2.out" | sed 's/^/    /'
	[[ ! -e /boot/vmlinuz-$C ]] || fail "/boot/vmlinuz-$C still there after the removal"
	[[ -s /boot/initrd.img-$K ]] || fail "the real initrd of $K is empty after the test"
fi
step "all real-system audit checks passed in $(($(date +%s) - start))s"
