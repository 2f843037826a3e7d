#!/usr/bin/env bash
# issue 13 item 5: a real Secure Boot proof. QEMU (TCG) with OVMF's Secure Boot firmware and the
# Microsoft keys enrolled (Debian's ovmf: OVMF_CODE_4M.secboot.fd, OVMF_VARS_4M.ms.fd) boots
# Debian's signed shim, signed GRUB and signed kernel from an ESP image made without loop mounts
# (mkfs.vfat -C, mtools), root on NVMe (the root-path module: nvme.ko, in the initrd):
#   sb-good            the good mkinitramfs image: boots (the kernel prints "Kernel is locked down
#                      from EFI Secure Boot"); its root disk's init runs boot-guard inside the guest,
#                      with efivarfs and securityfs mounted, on both images below
#   sb-nvme-unsigned   the same image with nvme.ko's appended signature cut off: fails
#   sb-nvme-foreign-key  nvme.ko signed again by a throwaway key the kernel does not trust: fails
# and prints each row's real outcome, its telling console line and boot-guard's verdict.
# Like run.sh it installs packages (ovmf, mtools, dosfstools) and downloads shim-signed and
# grub-efi-amd64-signed (unpacked, never installed), so it runs only with CI=true or --yes. It reuses
# run.sh's $BG_E2E (the good image, the unpacked tree, the plain-ext4 disk): run run.sh first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

main() {
if [ "${CI:-}" != true ] && [ "${1:-}" != --yes ]; then
  echo "secureboot: installs packages and boots VMs; run with CI=true or --yes" >&2
  exit 2
fi
out=${BG_E2E:-$repo/build/e2e}
images=${BG_IMAGES:-$repo/build/images}
kver=$(cat "$images/KERNEL")
sb=$out/sb
mkdir -p "$sb" "$out/logs"
[ -d "$out/unpacked/good" ] && [ -s "$out/disks/plain-ext4.img" ] || { echo "secureboot: run scripts/e2e/run.sh first (it unpacks the good image and makes the root disks)" >&2; exit 1; }
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends ovmf mtools dosfstools >/dev/null
if [ ! -s "$sb/x/usr/lib/shim/shimx64.efi.signed" ]; then
  (cd "$sb" && apt-get download shim-signed grub-efi-amd64-signed >/dev/null && for d in ./*.deb; do dpkg-deb -x "$d" x; done)
fi
ovmf=/usr/share/OVMF
make -s build

# Variants of the good image's nvme.ko: its signature cut off (struct module_signature's big-endian
# sig_len says where the PKCS#7 message starts: include/linux/module_signature.h), or cut off and
# signed again, as scripts/sign-file.c signs (CMS, SHA-256, no attributes, no certificates), by a
# throwaway key made here that the kernel does not trust (a DKMS key nobody enrolled).
strip_sig() { # strip_sig KO
  local size sig
  size=$(stat -c %s "$1")
  sig=$(tail -c 40 "$1" | head -c 12 | od -An -tu1 | awk '{print $9*16777216+$10*65536+$11*256+$12}')
  truncate -s $(( size - 28 - 12 - sig )) "$1"
}
sign_foreign() { # sign_foreign KO: append a signature by $sb/foreign-key.pem
  [ -s "$sb/foreign-key.pem" ] || openssl req -new -x509 -newkey rsa:2048 -nodes -days 3650 \
    -subj "/CN=boot-guard e2e foreign key" -keyout "$sb/foreign-key.pem" -out "$sb/foreign-cert.pem" 2>/dev/null
  openssl cms -sign -binary -noattr -nocerts -nosmimecap -outform DER -md sha256 \
    -signer "$sb/foreign-cert.pem" -inkey "$sb/foreign-key.pem" -in "$1" -out "$sb/sig.der"
  local len; len=$(stat -c %s "$sb/sig.der")
  cat "$sb/sig.der" >>"$1"
  printf '\0\0\2\0\0\0\0\0' >>"$1" # algo hash id_type=PKEY_ID_PKCS7 signer_len key_id_len pad[3]
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((len>>24&255)) $((len>>16&255)) $((len>>8&255)) $((len&255)))" >>"$1"
  printf '~Module signature appended~\n' >>"$1"
}
nvme_variant() { # nvme_variant NAME CMD...: the good image with CMD run on its nvme.ko
  local name=$1 t=$out/unpacked/$1; shift
  [ -s "$out/img/$name.img" ] && return 0
  rm -rf "$t"; cp -a "$out/unpacked/good" "$t"
  local ko; ko=$(find "$t" -name nvme.ko)
  for cmd in "$@"; do "$cmd" "$ko"; done
  (cd "$t" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | zstd -q -3 -T0) >"$out/img/$name.img"
  rm -rf "$t"
}
nvme_variant sb-nvme-unsigned strip_sig
nvme_variant sb-nvme-foreign-key strip_sig sign_foreign
unsigned=$out/img/sb-nvme-unsigned.img
foreign=$out/img/sb-nvme-foreign-key.img

esp() { # esp IMAGE INITRD: shim as the removable-media loader, GRUB next to it, kernel and initrd
  export MTOOLS_SKIP_CHECK=1
  rm -f "$1"; mkfs.vfat -C "$1" 131072 >/dev/null
  mmd -i "$1" ::/EFI ::/EFI/BOOT ::/EFI/debian
  mcopy -i "$1" "$sb/x/usr/lib/shim/shimx64.efi.signed" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$1" "$sb/x/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" ::/EFI/BOOT/grubx64.efi
  printf 'set timeout=0\nlinux /vmlinuz root=/dev/nvme0n1 rw console=ttyS0 panic=-1 rootdelay=3\ninitrd /initrd.img\nboot\n' >"$sb/grub.cfg"
  mcopy -i "$1" "$sb/grub.cfg" ::/EFI/BOOT/grub.cfg
  mcopy -i "$1" "$sb/grub.cfg" ::/EFI/debian/grub.cfg
  mcopy -i "$1" "/boot/vmlinuz-$kver" ::/vmlinuz
  mcopy -i "$1" "$2" ::/initrd.img
}
sbboot() { # sbboot ESP ROOTDISK LOG: one Secure Boot VM to power-off, panic or timeout
  cp "$ovmf/OVMF_VARS_4M.ms.fd" "$sb/vars-$(basename "$3").fd"
  timeout "${BG_E2E_TIMEOUT:-600}" qemu-system-x86_64 -accel tcg -machine q35,smm=on \
    -global driver=cfi.pflash01,property=secure,value=on -m 1024 -smp 1 -nodefaults -display none \
    -no-reboot -serial stdio \
    -drive if=pflash,format=raw,unit=0,file="$ovmf/OVMF_CODE_4M.secboot.fd",readonly=on \
    -drive if=pflash,format=raw,unit=1,file="$sb/vars-$(basename "$3").fd" \
    -drive if=none,id=esp,file="$1",format=raw -device virtio-blk-pci,drive=esp,bootindex=0 \
    -drive if=none,id=d0,file="$2",format=raw,snapshot=on -device nvme,drive=d0,serial=bg0 \
    </dev/null >"$3" 2>&1 || true
}

# The verdict guest's root: boot-guard, the kernel, its config and index, the first in-tree modules
# of modules.order (their signer is the kernel's built-in key), both images.
local d=$sb/vtree m
rm -rf "$d"; mkdir -p "$d"/{bin,sbin,proc,sys,dev,run,tmp,etc,root,boot,usr/sbin,lib/modules/"$kver"}
cp /bin/busybox "$d/bin/"; printf 'ID=boot-guard-e2e\n' >"$d/etc/os-release"
cp bin/boot-guard "$d/usr/sbin/"
cp "/boot/vmlinuz-$kver" "/boot/config-$kver" "$d/boot/"
cp "$(readlink -f "$images/mkinitramfs-zstd.img")" "$d/boot/sb-good.img"
cp "$unsigned" "$d/boot/sb-nvme-unsigned.img"
cp "$foreign" "$d/boot/sb-nvme-foreign-key.img"
cp /lib/modules/"$kver"/modules.* "$d/lib/modules/$kver/"
mkdir -p "$d/lib/modules/$kver/kernel/fs/efivarfs"
cp "/lib/modules/$kver/kernel/fs/efivarfs/efivarfs.ko" "$d/lib/modules/$kver/kernel/fs/efivarfs/"
head -n 5 "/lib/modules/$kver/modules.order" | while read -r m; do
  mkdir -p "$d/lib/modules/$kver/$(dirname "$m")"; cp "/lib/modules/$kver/$m" "$d/lib/modules/$kver/$m"
done
cat >"$d/sbin/init" <<INIT
#!/bin/busybox sh
bb=/bin/busybox
\$bb mount -t proc proc /proc
\$bb mount -t sysfs sys /sys
\$bb mount -t devtmpfs dev /dev
# Debian builds efivarfs as a module (CONFIG_EFIVAR_FS=m): without it efivarfs is empty, and
# boot-guard says cannot-tell. Signed by the kernel's build key, it loads under lockdown.
\$bb insmod /lib/modules/$kver/kernel/fs/efivarfs/efivarfs.ko
\$bb mount -t efivarfs efivarfs /sys/firmware/efi/efivars
\$bb mount -t securityfs securityfs /sys/kernel/security
\$bb echo "BOOTGUARD-E2E-MARKER root mounted"
\$bb echo "E2E-LOCKDOWN \$(\$bb cat /sys/kernel/security/lockdown)"
for i in sb-good sb-nvme-unsigned sb-nvme-foreign-key; do
  /usr/sbin/boot-guard verify --initrd /boot/\$i.img $kver >/tmp/v.out 2>&1
  echo "E2E-VERDICT \$i rc=\$?"
  \$bb sed "s/^/E2E-OUT \$i /" /tmp/v.out
done
echo E2E-DONE
\$bb poweroff -f
INIT
chmod 755 "$d/sbin/init"
local mb=$(( $(du -sm "$d" | cut -f1) * 12 / 10 + 160 ))
rm -f "$sb/vdisk.img"; truncate -s "${mb}M" "$sb/vdisk.img"; mkfs.ext4 -q -L bgroot -d "$d" "$sb/vdisk.img"; rm -rf "$d"

esp "$sb/esp-good.img" "$(readlink -f "$images/mkinitramfs-zstd.img")"
esp "$sb/esp-unsigned.img" "$unsigned"
esp "$sb/esp-foreign.img" "$foreign"
sbboot "$sb/esp-good.img" "$sb/vdisk.img" "$out/logs/sb-good.log" &
sbboot "$sb/esp-unsigned.img" "$out/disks/plain-ext4.img" "$out/logs/sb-nvme-unsigned.log" &
sbboot "$sb/esp-foreign.img" "$out/disks/plain-ext4.img" "$out/logs/sb-nvme-foreign-key.log" &
wait

printf '%-18s %-5s %-12s %s\n' ROW REAL BOOT-GUARD 'TELLING LINE'
for row in sb-good sb-nvme-unsigned sb-nvme-foreign-key; do
  local log=$out/logs/$row.log real=FAIL rc verdict line
  grep -a -q "BOOTGUARD-E2E-MARKER" "$log" && real=BOOT
  rc=$(grep -a -m1 "E2E-VERDICT $row " "$out/logs/sb-good.log" | sed 's/.*rc=\([0-9]*\).*/\1/' | tr -d '\r' || true)
  case $rc in 0) verdict=bootable ;; 1) verdict=unbootable ;; 2) verdict=cannot-tell ;; *) verdict=none ;; esac
  # the failure when there is one, else the lockdown line that proves Secure Boot was enforcing
  line=$({ grep -a -v E2E- "$log" | grep -a -m1 -E 'Loading of|module loading is restricted|bad shim signature|Gave up waiting' \
    || grep -a -m1 'Kernel is locked down' "$log"; } | sed -e 's/^\[[ 0-9.]*\] //' -e 's/\r//g' | cut -c1-100 || true)
  printf '%-18s %-5s %-12s %s\n' "$row" "$real" "$verdict" "$line"
done
grep -a 'E2E-LOCKDOWN\|E2E-OUT' "$out/logs/sb-good.log" | tr -d '\r' | cut -c1-240
}
main "$@"
