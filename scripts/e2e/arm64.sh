#!/usr/bin/env bash
# boot-guard on arm64, proven by real boots (issue 14 item 5): Debian 12's arm64 kernel booted under
# qemu-system-aarch64 (TCG, the virt machine) against real arm64 initrds, and boot-guard's arm64
# binary's verdict, computed inside an arm64 guest, must agree with each boot.
#
# It installs packages (qemu-system-arm, qemu-efi-aarch64, qemu-user-static, mmdebstrap, ...) and
# enables binfmt_misc's qemu-aarch64, so it runs only when CI=true or with --yes. Everything it builds
# goes under $BG_E2E_ARM64 (default build/e2e-arm64) and is reused by the next run.
#
#   1. an arm64 Debian 12 system made by mmdebstrap --arch=arm64 --variant=minbase (qemu-user through
#      binfmt_misc) with linux-image-arm64 (whatever kernel the archive's metapackage depends on now)
#      and initramfs-tools: the kernel's own postinst builds the good initrd, as on a real arm64
#      machine (zstd; MODULES=list naming the root drivers, as MODULES=most takes over an hour under
#      qemu-user).
#   2. images: good (that initrd), broken ones cut from it (no virtio_blk, no virtio_pci, no nvme:
#      unpacked, the module removed, repacked as mkinitramfs packs) and none; kernel images: the
#      package's, cut to its PE sections (signature gone) and cut inside them.
#   3. root disks without loop mounts (mkfs.ext4 -d) whose /sbin/init, the arm64 busybox-static,
#      prints a marker line and powers off (as scripts/e2e/run.sh does for amd64).
#   4. real boots: the kernel loaded by UEFI firmware (qemu-efi-aarch64's QEMU_EFI.fd, through
#      QEMU's -kernel, which hands the image to the firmware's loader; ACPI), or for -direct rows by
#      QEMU's own Image loader (a device tree, no UEFI), with the root on a virtio-blk or NVMe disk;
#      BOOT when the marker appears, else FAIL with the telling line.
#   5. boot-guard's verdicts, computed INSIDE an arm64 guest booted the same way with the good image
#      on the same disk kind: boot-guard (GOARCH=arm64, CGO_ENABLED=0, -trimpath), the candidates, the kernel
#      image, its config and module index, and the arm64 system's dpkg status ride in on the root disk.
#      The virt machine of Debian 12's QEMU wires one UART only, so the verdicts come back on the
#      console, on lines of their own (the guest boots with loglevel=1).
#   6. one table, real outcome vs verdict; a disagreement fails the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

# name machine initrd kernel expect: the scenarios (one boot each, and a verdict each). machine: the
# root disk's kind (virtio, nvme), booted through UEFI, or with -direct QEMU's own loader (no UEFI,
# a device tree: as U-Boot's booti would); kernel: good (the package's vmlinuz) or a variant below.
scenarios=(
  "arm64-virtio-good         virtio        good           good       BOOT"
  "arm64-virtio-no-blk       virtio        no-virtio-blk  good       FAIL"
  "arm64-virtio-no-pci       virtio        no-virtio-pci  good       FAIL"
  "arm64-virtio-none         virtio        none           good       FAIL"
  "arm64-virtio-kernel-sig   virtio        good           trunc-sig  FAIL"
  "arm64-virtio-kernel-cut   virtio        good           trunc90    FAIL"
  "arm64-nvme-good           nvme          good           good       BOOT"
  "arm64-nvme-no-nvme        nvme          no-nvme        good       FAIL"
  "arm64-direct-kernel-sig   virtio-direct good           trunc-sig  BOOT"
)

main() {
if [ "${CI:-}" != true ] && [ "${1:-}" != --yes ]; then
  echo "e2e-arm64: installs packages, enables binfmt_misc and boots VMs; run with CI=true or --yes" >&2
  exit 2
fi
out=${BG_E2E_ARM64:-$repo/build/e2e-arm64}
mkdir -p "$out"/{img,disks,logs}
timeout_s=${BG_E2E_TIMEOUT:-400}
t_start=$(date +%s)
step() { echo "e2e-arm64: [$(( $(date +%s) - t_start ))s] $*"; }

step "packages"
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
  qemu-system-arm qemu-efi-aarch64 qemu-user-static binfmt-support arch-test mmdebstrap \
  e2fsprogs cpio zstd initramfs-tools-core >/dev/null
firmware=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
[ -s "$firmware" ] || { echo "e2e-arm64: no $firmware (qemu-efi-aarch64)" >&2; exit 1; }

# binfmt_misc runs arm64 programs through qemu-user: mmdebstrap needs it for the maintainer scripts.
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
arch-test arm64 >/dev/null || { echo "e2e-arm64: arm64 programs do not run here (binfmt_misc, qemu-user-static)" >&2; exit 1; }

# ---- 1. the arm64 system --------------------------------------------------------------------
sys=$out/rootfs
if [ ! -s "$sys/var/lib/dpkg/status" ] || ! ls "$sys"/boot/initrd.img-* >/dev/null 2>&1; then
  step "mmdebstrap --arch=arm64: bookworm minbase + linux-image-arm64 + initramfs-tools (several minutes)"
  rm -rf "$sys" "$sys.tmp"
  # MODULES=list with the root drivers of both disk kinds, set before the kernel is installed:
  # MODULES=most copies some thousand modules, each through qemu-user's modprobe and modinfo, which
  # takes over an hour here; the image is otherwise the one the kernel's postinst builds.
  mmdebstrap --quiet --arch=arm64 --variant=minbase \
    --include=linux-image-arm64,initramfs-tools,zstd,busybox-static,kmod \
    --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"
      echo MODULES=list >"$1/etc/initramfs-tools/conf.d/boot-guard-e2e.conf"
      printf "virtio_pci\nvirtio_blk\nnvme\next4\n" >"$1/usr/share/initramfs-tools/modules.d/boot-guard-e2e"' \
    bookworm "$sys.tmp"
  mv "$sys.tmp" "$sys"
fi
# The kernel is the one linux-image-arm64 depends on in the archive mmdebstrap installed from.
kpkg=$(chroot "$sys" dpkg-query -W -f '${Depends}' linux-image-arm64 | grep -o 'linux-image-[^ ,]*-arm64' | head -n1)
kver=${kpkg#linux-image-}
[ -s "$sys/boot/vmlinuz-$kver" ] && [ -s "$sys/boot/initrd.img-$kver" ] \
  || { echo "e2e-arm64: $kpkg's vmlinuz or initrd missing in $sys/boot" >&2; exit 1; }
vmlinuz=$sys/boot/vmlinuz-$kver
step "kernel $kver ($kpkg $(chroot "$sys" dpkg-query -W -f '${Version}' "$kpkg")): $(file -b "$vmlinuz" | cut -c1-80)"

step "building boot-guard for arm64"
bin=$out/boot-guard
make -s build GOARCH=arm64 BIN="$bin"
file -b "$bin" | grep -q 'ARM aarch64' || { echo "e2e-arm64: $bin is not an arm64 program" >&2; exit 1; }

# ---- 2. images ------------------------------------------------------------------------------
img=$out/img
cp -p "$sys/boot/initrd.img-$kver" "$img/good.img"
variant() { # variant NAME FIND-EXPR...: good.img minus the files find matches, repacked (newc, zstd)
  local name=$1; shift
  [ "$img/$name.img" -nt "$img/good.img" ] && return 0
  step "variant $name: removing $*"
  local t=$out/unpacked-$name n
  rm -rf "$t"; mkdir -p "$t"
  unmkinitramfs "$img/good.img" "$t"
  [ ! -d "$t/main" ] || { echo "e2e-arm64: good.img has early archives; variant() packs one" >&2; exit 1; }
  n=$(find "$t" "$@" -print -delete | wc -l)
  [ "$n" -gt 0 ] || { echo "e2e-arm64: variant $name removed nothing ($*)" >&2; exit 1; }
  (cd "$t" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | zstd -q -3 -T0 >"$img/$name.img"
  rm -rf "$t"
}
variant no-virtio-blk -name 'virtio_blk.ko*'
variant no-virtio-pci -name 'virtio_pci.ko*'   # a module on arm64 (CONFIG_VIRTIO_PCI=m)
variant no-nvme       -name 'nvme.ko*'

# Kernel images: the package's (good), and copies cut short. Debian 12's arm64 vmlinuz is an
# uncompressed Image with its PE header, signed: the PE sections end where the signature starts.
mkdir -p "$out/kernels"
cp "$vmlinuz" "$out/kernels/good"
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
u16() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }
pe_length() { # pe_length FILE: where the last PE section's raw data ends (what a UEFI loader reads)
  local f=$1 pe nsec opt tab i end=0 e
  pe=$(u32 "$f" $((0x3c))); nsec=$(u16 "$f" $((pe + 6))); opt=$(u16 "$f" $((pe + 20)))
  tab=$((pe + 24 + opt))
  for ((i = 0; i < nsec; i++)); do
    e=$(( $(u32 "$f" $((tab + 40 * i + 20))) + $(u32 "$f" $((tab + 40 * i + 16))) ))
    [ "$e" -le "$end" ] || end=$e
  done
  echo "$end"
}
pe_len=$(pe_length "$vmlinuz")
vz_size=$(stat -c %s "$vmlinuz")
[ "$pe_len" -gt 0 ] && [ "$pe_len" -lt "$vz_size" ] || { echo "e2e-arm64: PE length $pe_len of $vz_size bytes: not a signed Image?" >&2; exit 1; }
head -c "$pe_len" "$vmlinuz" >"$out/kernels/trunc-sig"               # only the signature gone
head -c $((vz_size * 90 / 100)) "$vmlinuz" >"$out/kernels/trunc90"   # cut inside the last section

# ---- 3. root disks --------------------------------------------------------------------------
marker="BOOTGUARD-E2E-MARKER root mounted"
make_tree() { # make_tree DIR: busybox (arm64) and an /sbin/init that prints the marker and powers off
  local d=$1
  rm -rf "$d"; mkdir -p "$d"/{bin,sbin,proc,sys,dev,run,tmp,etc,root,boot,e2e}
  cp "$sys/bin/busybox" "$d/bin/busybox"
  printf 'ID=boot-guard-e2e\nNAME="boot-guard e2e root"\n' >"$d/etc/os-release"
  printf '#!/bin/busybox sh\n/bin/busybox echo "%s"\n/bin/busybox poweroff -f\n' "$marker" >"$d/sbin/init"
  chmod 755 "$d/sbin/init"
}
make_disk() { # make_disk TREE IMAGE: ext4 made from TREE, no loop mount
  local mb
  mb=$(( $(du -sm "$1" | cut -f1) * 12 / 10 + 64 ))
  rm -f "$2"; truncate -s "${mb}M" "$2"
  mkfs.ext4 -q -L bgroot -d "$1" "$2"
}
if [ ! -s "$out/disks/plain.img" ] || [ "$out/disks/plain.img" -ot "$sys/bin/busybox" ]; then
  make_tree "$out/disks/tree"
  make_disk "$out/disks/tree" "$out/disks/plain.img"
  rm -rf "$out/disks/tree"
fi

# ---- 4. boots -------------------------------------------------------------------------------
disk_args() { # disk_args MACHINE IMAGE
  case ${1%-direct} in
    nvme)   echo "-drive if=none,id=d0,file=$2,format=raw -device nvme,drive=d0,serial=bg0" ;;
    virtio) echo "-drive if=none,id=d0,file=$2,format=raw -device virtio-blk-pci,drive=d0" ;;
  esac
}
root_dev_of() { case ${1%-direct} in nvme) echo /dev/nvme0n1 ;; virtio) echo /dev/vda ;; esac; }
base_append="rw console=ttyAMA0 panic=-1 rootdelay=3"
boot() { # boot KIND DISK INITRD KERNEL LOG [APPEND]: one VM to power-off, panic or timeout
  local kind=$1 disk=$2 initrd=$3 kernel=$4 log=$5 append=${6:-} iargs=() fargs=() dargs pid
  dargs=$(disk_args "$kind" "$disk")
  [ "$initrd" = none ] || iargs=(-initrd "$initrd")
  [ "${kind%-direct}" != "$kind" ] || fargs=(-bios "$firmware")
  # shellcheck disable=SC2086
  timeout "${boot_timeout:-$timeout_s}" qemu-system-aarch64 -M virt -cpu cortex-a57 -accel tcg -m 1024 -smp 1 \
    -nodefaults -display none -no-reboot -snapshot -serial stdio "${fargs[@]}" \
    -kernel "$kernel" "${iargs[@]}" -append "root=$(root_dev_of "$kind") $base_append${append:+ $append}" \
    $dargs </dev/null >"$log" 2>&1 &
  pid=$!
  # The firmware stops on an exception and stays there: end the VM then, not at the time limit.
  while kill -0 "$pid" 2>/dev/null; do
    if grep -a -q 'Synchronous Exception' "$log" 2>/dev/null; then sleep 2; kill "$pid" 2>/dev/null; fi
    sleep 2
  done
  wait "$pid" || true
}
telling_line() {
  grep -a -m1 -E 'Gave up waiting|ALERT!|VFS: Unable to mount root fs|Kernel panic|Unknown symbol|Failed to execute|Initramfs unpacking failed|Unable to mount|Synchronous Exception' "$1" \
    | sed -e 's/^\[[ 0-9.]*\] //' -e 's/\r//g' | cut -c1-110 || true
  grep -a -q 'Linux version' "$1" || echo "(no kernel output)"
}
jobs_max=${BG_E2E_JOBS:-$(nproc)}
spawn() { while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done; "$@" & }

# ---- 5. verdicts, inside arm64 guests -------------------------------------------------------
verdict_guest() { # verdict_guest KIND: the verdicts of every scenario on that disk kind
  local kind=$1 tree=$out/disks/vtree-$1 name k variant kv _x t0 n
  make_tree "$tree"
  mkdir -p "$tree/usr/sbin" "$tree/lib/modules/$kver" "$tree/e2e/candidates" "$tree/e2e/kernels" "$tree/var/lib/dpkg" "$tree/etc/kernel"
  cp "$bin" "$tree/usr/sbin/boot-guard"
  cp "$vmlinuz" "$sys/boot/config-$kver" "$tree/boot/"
  cp "$sys/lib/modules/$kver"/modules.* "$tree/lib/modules/$kver/"
  # efivarfs (a module here) so boot-guard reads the SecureBoot variable, as on a booted system.
  cp "$sys/lib/modules/$kver/kernel/fs/efivarfs/efivarfs.ko" "$tree/e2e/"
  cp "$sys/var/lib/dpkg/status" "$tree/var/lib/dpkg/status" # the kernel package's Architecture: arm64
  : >"$tree/e2e/list"
  for row in "${scenarios[@]}"; do
    read -r name k variant kv _x <<<"$row"
    [ "$k" = "$kind" ] || continue
    [ -e "$tree/e2e/kernels/$kv" ] || cp "$out/kernels/$kv" "$tree/e2e/kernels/$kv"
    if [ "$variant" = none ]; then echo "$name - $kv" >>"$tree/e2e/list"
    else cp "$img/$variant.img" "$tree/e2e/candidates/$name.img"; echo "$name $name.img $kv" >>"$tree/e2e/list"; fi
  done
  cat >"$tree/sbin/init" <<INIT
#!/bin/busybox sh
bb=/bin/busybox
\$bb mount -t proc proc /proc
\$bb mount -t sysfs sys /sys
\$bb mount -t devtmpfs dev /dev 2>/dev/null
[ -d /sys/firmware/efi ] && \$bb insmod /e2e/efivarfs.ko && \$bb mount -t efivarfs efivarfs /sys/firmware/efi/efivars
\$bb echo "$marker"
\$bb echo "E2E-ARCH \$(\$bb uname -m) efivars: \$(\$bb ls /sys/firmware/efi/efivars | \$bb wc -l)"
while read -r name file kv; do
  if [ "\$file" = - ]; then set -- ; else set -- --initrd "/e2e/candidates/\$file"; fi
  \$bb cp "/e2e/kernels/\$kv" "/boot/vmlinuz-$kver" # the row's kernel image in the package's place
  /usr/sbin/boot-guard verify --json "\$@" "$kver" >/tmp/v.json 2>/tmp/v.err
  rc=\$?
  verdict=\$(\$bb sed -n 's/.*"verdict": *"\([a-z-]*\)".*/\1/p' /tmp/v.json | \$bb head -n1)
  \$bb echo "E2E-VERDICT \$name \$rc \${verdict:-none}"
  \$bb sed "s/^/E2E-STDERR \$name /" /tmp/v.err
  \$bb echo "E2E-JSON \$name \$(\$bb tr -d '\\n' </tmp/v.json)"
done </e2e/list
\$bb echo E2E-DONE
\$bb poweroff -f
INIT
  chmod 755 "$tree/sbin/init"
  n=$(wc -l <"$tree/e2e/list")
  make_disk "$tree" "$out/disks/verdict-$kind.img"
  rm -rf "$tree"
  t0=$(date +%s)
  boot_timeout=$(( timeout_s + 60 * n )) \
    boot "$kind" "$out/disks/verdict-$kind.img" "$img/good.img" "$vmlinuz" "$out/logs/verdicts-$kind.log" "loglevel=1"
  echo $(( $(date +%s) - t0 )) >"$out/logs/verdicts-$kind.secs"
  rm -f "$out/disks/verdict-$kind.img"
}
boot_row() { # boot_row NAME KIND VARIANT KERNEL: the real boot of one scenario
  local t0 initrd=none
  [ "$3" = none ] || initrd=$img/$3.img
  t0=$(date +%s)
  boot "$2" "$out/disks/plain.img" "$initrd" "$out/kernels/$4" "$out/logs/$1.log"
  echo $(( $(date +%s) - t0 )) >"$out/logs/$1.secs"
}
rm -f "$out"/logs/*
mapfile -t machines < <(for row in "${scenarios[@]}"; do read -r _ m _ <<<"$row"; echo "$m"; done | sort -u)
step "booting: ${#machines[@]} verdict guests and ${#scenarios[@]} scenarios, $jobs_max at a time"
for kind in "${machines[@]}"; do spawn verdict_guest "$kind"; done
for row in "${scenarios[@]}"; do
  read -r name kind variant kv _ <<<"$row"
  spawn boot_row "$name" "$kind" "$variant" "$kv"
done
wait
for kind in "${machines[@]}"; do
  step "verdict guest $kind: $(cat "$out/logs/verdicts-$kind.secs")s, $(grep -a -m1 '^E2E-ARCH' "$out/logs/verdicts-$kind.log" | tr -d '\r')"
  grep -a -q E2E-DONE "$out/logs/verdicts-$kind.log" || { echo "e2e-arm64: verdict guest $kind did not finish; console:" >&2; tail -n 30 "$out/logs/verdicts-$kind.log" >&2; }
done

# ---- 6. the table ---------------------------------------------------------------------------
declare -A verdict vexit
while read -r _ name rc v; do verdict[$name]=$v; vexit[$name]=$rc; done \
  < <(cat "$out"/logs/verdicts-*.log | tr -d '\r' | grep -a '^E2E-VERDICT ')
fail=0 n_agree=0 n_bad=0
printf '\n%-24s %-13s %-24s %-6s %-6s %-5s %-15s %-6s %s\n' scenario machine "initrd [kernel]" expect real secs boot-guard agree "telling line"
for row in "${scenarios[@]}"; do
  read -r name kind variant kv expect <<<"$row"
  what=$variant; [ "$kv" = good ] || what="$what $kv"
  if grep -a -q "$marker" "$out/logs/$name.log"; then r=BOOT; else r=FAIL; fi
  v=${verdict[$name]:-none}
  if { [ "$v" = bootable ] && [ "$r" = BOOT ]; } || { [ "$v" = unbootable ] && [ "$r" = FAIL ]; }; then a=yes
  elif [ "$v" = bootable ]; then a=FALSE-BOOTABLE
  else a=NO; fi
  [ "$r" = "$expect" ] || a="$a/EXPECT-MISMATCH"
  if [ "$a" = yes ]; then n_agree=$((n_agree + 1)); else n_bad=$((n_bad + 1)); fail=1; fi
  printf '%-24s %-13s %-24s %-6s %-6s %-5s %-15s %-6s %s\n' "$name" "$kind" "$what" "$expect" "$r" \
    "$(cat "$out/logs/$name.secs")" "$v(${vexit[$name]:-?})" "$a" "$(telling_line "$out/logs/$name.log" | paste -sd ' ' -)"
done
echo
echo "e2e-arm64: kernel $kver; $n_agree agree, $n_bad disagree; $(( $(date +%s) - t_start ))s in all"
if [ "$fail" != 0 ]; then
  echo "e2e-arm64: FAILED: logs in $out/logs" >&2
  cat "$out"/logs/verdicts-*.log | tr -d '\r' | grep -a -E '^E2E-(STDERR|JSON)' | cut -c1-2000 | head -n 60 >&2 || true
fi
exit "$fail"
}

main "$@"
