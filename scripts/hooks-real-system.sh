#!/usr/bin/env bash
# Real-system test of boot-guard's install hooks (issue 5), on a throwaway
# Debian 12 machine. It CHANGES THE MACHINE: it installs /usr/sbin/boot-guard
# and the hook entry points of CONTRACT.md, installs (or reinstalls) a real
# Debian kernel package, rebuilds its initrd without the root disk's driver,
# deletes the initrd, and then puts everything back (trap on exit).
#
# Runs only when CI=true or with --yes. Steps and what each shows:
#   1. apt-get installs linux-image-amd64 (reinstalls the kernel package when
#      it is already there): the kernel-postinst and initramfs-post-update
#      hooks ran and said "bootable".
#   2. MODULES=list with an empty /etc/initramfs-tools/modules: the image has
#      no virtio_blk/ext4; `update-initramfs -u -k VERSION` and
#      `dpkg-reconfigure linux-image-VERSION` fail with boot-guard's message,
#      which names the missing module, the fix command and the override.
#      BOOT_GUARD=warn lets the same update-initramfs pass.
#   3. The initrd deleted: `kernel-install add VERSION /boot/vmlinuz-VERSION`
#      fails with boot-guard, and exits 0 without it (Debian 12's
#      85-initrd.install only prints "does not exist, not installing an
#      initrd").
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CI:-}" != true ] && [ "${1:-}" != --yes ]; then
  echo "hooks-real-system: this changes the machine (kernel packages, hooks, initrds); run it with CI=true or --yes"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "hooks-real-system: must run as root" >&2; exit 1; }
export PATH=/usr/local/go/bin:$PATH
export DEBIAN_FRONTEND=noninteractive
unset BOOT_GUARD
APT=(apt-get -o DPkg::Lock::Timeout=900 -y -q)

T0=$(date +%s)
step_start=$T0
step() {
  local now; now=$(date +%s)
  echo "=== hooks-real-system [$(date -u +%T), +$((now - T0))s, previous step $((now - step_start))s]: $*"
  step_start=$now
}
fail() { echo "hooks-real-system: FAIL: $*" >&2; exit 1; }
# expect_in FILE TEXT...: every TEXT must be in FILE.
expect_in() {
  local f=$1; shift
  for t in "$@"; do
    grep -qF -- "$t" "$f" || { echo "--- $f:"; cat "$f"; fail "output lacks: $t"; }
  done
}

WORK=$(mktemp -d /tmp/hooks-real-system.XXXXXX)
BACKUP=$WORK/backup
mkdir -p "$BACKUP"
HOOKS=(
  /etc/kernel/postinst.d/zz-boot-guard
  /usr/lib/kernel/install.d/89-boot-guard.install
  /etc/initramfs/post-update.d/zz-boot-guard
)
SAVED=(/usr/sbin/boot-guard /etc/default/boot-guard "${HOOKS[@]}")
# initramfs-tools' own files are saved once it is installed.
CONF=(/etc/initramfs-tools/initramfs.conf /etc/initramfs-tools/modules)
KV=""
MACHINE_ID=$(cat /etc/machine-id 2>/dev/null || true)
ENTRY_DIR_EXISTED=no
[ -n "$MACHINE_ID" ] && [ -e "/boot/$MACHINE_ID" ] && ENTRY_DIR_EXISTED=yes

# save/restore keep whatever was at each path (a package's shim, a config)
# and put it back at the end; paths that did not exist are removed again.
save() {
  local p=$1 b="$BACKUP/$(echo "$1" | tr / _)"
  if [ -e "$p" ] || [ -L "$p" ]; then cp -a "$p" "$b"; else : >"$b.absent"; fi
}
restore() {
  local p=$1 b="$BACKUP/$(echo "$1" | tr / _)"
  if [ -e "$b.absent" ]; then rm -f "$p"; elif [ -e "$b" ] || [ -L "$b" ]; then rm -f "$p"; cp -a "$b" "$p"; fi
}
# mine PATH: PATH still holds what this script put there (another process,
# such as a concurrent dpkg run of the boot-guard package, may have replaced
# or removed it; then it is left alone).
mine() {
  case $1 in
    /usr/sbin/boot-guard) cmp -s "$1" "$WORK/boot-guard" ;;
    /etc/default/boot-guard) [ "$(cat "$1" 2>/dev/null)" = "$(printf 'MODE=enforce\nCANNOT_TELL=warn')" ] ;;
    *) [ "$(readlink "$1" 2>/dev/null)" = /usr/sbin/boot-guard ] ;;
  esac
}
# hooks_intact fails the run when the hooks were taken away under it.
hooks_intact() {
  for p in /usr/sbin/boot-guard "${HOOKS[@]}"; do
    mine "$p" || fail "$p was changed by another process during the run (a concurrent dpkg run of the boot-guard package?); run again on a quiet machine"
  done
}
cleanup() {
  local rc=$?
  set +e
  step "restoring the machine"
  for p in "${SAVED[@]}"; do
    if mine "$p"; then restore "$p"; else echo "left $p alone: changed by another process during the run"; fi
  done
  for p in "${CONF[@]}"; do [ -e "$BACKUP/$(echo "$p" | tr / _)" ] && restore "$p"; done
  for d in "${CREATED_DIRS[@]}"; do rmdir "$d" 2>/dev/null; done
  if [ -n "$KV" ] && [ -s "$WORK/initrd.img-$KV" ]; then
    cp -a "$WORK/initrd.img-$KV" "/boot/initrd.img-$KV"
    echo "restored /boot/initrd.img-$KV"
  fi
  # A run cut short while dpkg was configuring the kernel (a hook removed
  # under it) leaves the package half-configured: finish configuring it, now
  # that the hooks are back to what they were.
  if [ -n "$KV" ] && dpkg-query -W -f='${Status}' "linux-image-$KV" 2>/dev/null | grep -qv ' installed$'; then
    echo "linux-image-$KV is $(dpkg-query -W -f='${Status}' "linux-image-$KV"): apt-get -f install"
    "${APT[@]}" -f install || echo "hooks-real-system: WARNING: linux-image-$KV is still not configured: run dpkg --configure -a"
  fi
  if [ "$ENTRY_DIR_EXISTED" = no ] && [ -n "$MACHINE_ID" ] && [ -d "/boot/$MACHINE_ID" ]; then
    rm -rf "/boot/${MACHINE_ID:?}"
  fi
  rm -rf "$WORK"
  echo "=== hooks-real-system: $([ $rc = 0 ] && echo PASSED || echo "FAILED (exit $rc)") in $(($(date +%s) - T0))s"
  exit $rc
}
CREATED_DIRS=()
trap cleanup EXIT

step "building boot-guard (CGO_ENABLED=0, -trimpath)"
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$WORK/boot-guard" ./cmd/boot-guard

step "installing /usr/sbin/boot-guard and the hook entry points as symlinks to it"
for p in "${SAVED[@]}"; do save "$p"; done
install -m 0755 "$WORK/boot-guard" /usr/sbin/boot-guard
for h in "${HOOKS[@]}"; do
  # Directories made here are removed again at the end (deepest first), so
  # the machine is left as it was found: dpkg would otherwise adopt them.
  d=$(dirname "$h")
  while [ ! -d "$d" ]; do CREATED_DIRS+=("$d"); d=$(dirname "$d"); done
  mkdir -p "$(dirname "$h")"
  rm -f "$h"
  ln -s /usr/sbin/boot-guard "$h"
done
# A known configuration for the run (the saved one comes back at the end).
printf 'MODE=enforce\nCANNOT_TELL=warn\n' >/etc/default/boot-guard
ls -l "${HOOKS[@]}"

step "apt-get install initramfs-tools linux-image-amd64 (a real Debian kernel package)"
"${APT[@]}" install initramfs-tools linux-image-amd64 2>&1 | tee "$WORK/install.log"
KV=$(dpkg-query -W -f='${Depends}\n' linux-image-amd64 | grep -o 'linux-image-[0-9][^ ,]*' | head -1 | sed 's/^linux-image-//')
[ -n "$KV" ] && [ -e "/boot/vmlinuz-$KV" ] || fail "cannot find the kernel version linux-image-amd64 installed"
echo "kernel version: $KV"
if ! grep -q "boot-guard: kernel $KV: bootable" "$WORK/install.log"; then
  step "the kernel was installed already: apt-get install --reinstall linux-image-$KV runs its postinst with the hooks"
  "${APT[@]}" install --reinstall "linux-image-$KV" 2>&1 | tee "$WORK/install.log"
fi
hooks_intact
expect_in "$WORK/install.log" "boot-guard: kernel $KV: bootable (/boot/initrd.img-$KV;"
echo "--- the hooks ran during the install and passed:"
grep "boot-guard:" "$WORK/install.log"
cp -a "/boot/initrd.img-$KV" "$WORK/initrd.img-$KV"
for p in "${CONF[@]}"; do save "$p"; done

step "boot-guard verify $KV on the good image"
/usr/sbin/boot-guard verify "$KV"
grep -E '^CONFIG_(VIRTIO_BLK|VIRTIO_PCI|EXT4_FS)=' "/boot/config-$KV" || true
findmnt -n -o SOURCE,FSTYPE /

hooks_intact
step "MODULES=list with an empty /etc/initramfs-tools/modules: update-initramfs -u -k $KV must fail"
sed -i 's/^MODULES=.*/MODULES=list/' /etc/initramfs-tools/initramfs.conf
grep -q '^MODULES=list' /etc/initramfs-tools/initramfs.conf || echo MODULES=list >>/etc/initramfs-tools/initramfs.conf
: >/etc/initramfs-tools/modules
rc=0
update-initramfs -u -k "$KV" >"$WORK/update.log" 2>&1 || rc=$?
cat "$WORK/update.log"
[ $rc != 0 ] || fail "update-initramfs -u -k $KV exited 0 on an image without the root disk's driver"
echo "update-initramfs exit status: $rc (boot-guard refused the image)"
expect_in "$WORK/update.log" "boot-guard: error: kernel $KV will not mount its root filesystem" \
  "lacks module" "MODULES=list" "update-initramfs -c -k $KV" "BOOT_GUARD=warn" "BOOT_GUARD=off"

step "the same with BOOT_GUARD=warn: reported, not failed"
BOOT_GUARD=warn update-initramfs -u -k "$KV" >"$WORK/warn.log" 2>&1 || fail "BOOT_GUARD=warn update-initramfs failed: $(cat "$WORK/warn.log")"
expect_in "$WORK/warn.log" "lacks module" "BOOT_GUARD=warn: reporting, not failing"
grep "boot-guard:" "$WORK/warn.log" | sed -n 1,3p

hooks_intact
step "dpkg-reconfigure linux-image-$KV must fail the same way"
rc=0
dpkg-reconfigure "linux-image-$KV" >"$WORK/reconfigure.log" 2>&1 || rc=$?
cat "$WORK/reconfigure.log"
[ $rc != 0 ] || fail "dpkg-reconfigure linux-image-$KV exited 0"
echo "dpkg-reconfigure exit status: $rc"
expect_in "$WORK/reconfigure.log" "boot-guard: error: kernel $KV will not mount its root filesystem" \
  "lacks module" "update-initramfs -c -k $KV" "BOOT_GUARD=warn" "BOOT_GUARD=off"

step "putting MODULES back and rebuilding with the command boot-guard names: it passes"
restore /etc/initramfs-tools/initramfs.conf
restore /etc/initramfs-tools/modules
update-initramfs -c -k "$KV" 2>&1 | tee "$WORK/fixed.log"
expect_in "$WORK/fixed.log" "boot-guard: kernel $KV: bootable"
cp -a "/boot/initrd.img-$KV" "$WORK/initrd.img-$KV"

hooks_intact
step "initrd deleted: kernel-install add $KV /boot/vmlinuz-$KV must fail"
rm -f "/boot/initrd.img-$KV"
rc=0
kernel-install add "$KV" "/boot/vmlinuz-$KV" >"$WORK/ki.log" 2>&1 || rc=$?
cat "$WORK/ki.log"
[ $rc != 0 ] || fail "kernel-install add exited 0 with no initrd"
echo "kernel-install add with boot-guard: exit status $rc"
expect_in "$WORK/ki.log" "does not exist" "boot-guard: error: kernel $KV will not mount" "update-initramfs -c -k $KV" "BOOT_GUARD=warn" "BOOT_GUARD=off"

step "the same kernel-install add without boot-guard's plugin (what Debian 12 does alone)"
mv /usr/lib/kernel/install.d/89-boot-guard.install "$WORK/89-boot-guard.install"
rc=0
kernel-install add "$KV" "/boot/vmlinuz-$KV" >"$WORK/ki-without.log" 2>&1 || rc=$?
mv "$WORK/89-boot-guard.install" /usr/lib/kernel/install.d/89-boot-guard.install
cat "$WORK/ki-without.log"
echo "kernel-install add without boot-guard: exit status $rc"
[ $rc = 0 ] || fail "expected Debian 12's kernel-install to exit 0 without boot-guard (got $rc)"

step "summary"
echo "apt-get install/--reinstall linux-image-$KV: hooks ran, verdict bootable"
echo "update-initramfs -u -k $KV with MODULES=list: refused; BOOT_GUARD=warn: passed with the report"
echo "dpkg-reconfigure linux-image-$KV with MODULES=list: refused"
echo "kernel-install add $KV without an initrd: exit non-zero with boot-guard, exit 0 without it"
