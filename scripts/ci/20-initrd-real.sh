#!/usr/bin/env bash
# Stage: the initrd reader (boot-guard ls / inspect) against images made by
# the real tools: GNU cpio archives compressed by gzip, zstd, xz, lzma, lz4
# (legacy frame, as the kernel wants), bzip2 and lzop, each behind an early
# uncompressed archive as mkinitramfs lays them out. For every codec,
# `boot-guard ls` must print exactly what lsinitramfs prints and exit 0;
# the image cut short must exit 1; a byte flipped inside a checksummed
# member must exit 1. Then a two-member image, which lsinitramfs lists only
# in part, and the initrd of every installed kernel of this machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH
start=$(date +%s)
step() { echo "--- $* ($(( $(date +%s) - start ))s)"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

tools="cpio gzip zstd xz lz4 bzip2 lzop lsinitramfs"
if [ "${CI:-}" = true ]; then
  step "apt-get install the compressors, cpio and initramfs-tools-core"
  apt-get -o DPkg::Lock::Timeout=900 install -y -q cpio gzip zstd xz-utils lz4 bzip2 lzop initramfs-tools-core >/dev/null
fi
for t in $tools; do
  command -v "$t" >/dev/null || fail "$t is not installed (CI=true installs it)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bg=$work/boot-guard
step "build boot-guard"
CGO_ENABLED=0 go build -trimpath -o "$bg" ./cmd/boot-guard

step "make the trees and archives with GNU cpio"
mkdir -p "$work/early/kernel/x86/microcode" "$work/main/usr/bin" "$work/main/usr/lib/modules/6.1.0-test/kernel" \
  "$work/main/etc" "$work/main/conf/conf.d" "$work/extra/conf"
head -c 40000 /dev/urandom >"$work/early/kernel/x86/microcode/GenuineIntel.bin"
printf '#!/bin/sh\necho init\n' >"$work/main/init"
chmod 755 "$work/main/init"
head -c 1500000 /dev/urandom | base64 >"$work/main/usr/bin/big"   # several blocks of most codecs
echo "hello" >"$work/main/etc/hostname"
ln "$work/main/etc/hostname" "$work/main/etc/hostname.link"       # a hard link pair
ln -s usr/bin "$work/main/bin"
ln -s usr/lib "$work/main/lib"
mkfifo "$work/main/conf/fifo"
echo "x=1" >"$work/extra/conf/extra.conf"
mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0); }
mkcpio "$work/early" >"$work/early.cpio"
mkcpio "$work/main" >"$work/main.cpio"
mkcpio "$work/extra" >"$work/extra.cpio"

compress() {
  case $1 in
    gzip) gzip -n -6 -c ;;
    zstd) zstd -q -3 -c ;;
    xz) xz --check=crc32 -3 -c ;;
    lzma) xz --format=lzma -3 -c ;;
    lz4) lz4 -l -q -c ;;
    bzip2) bzip2 -c ;;
    lzop) lzop -c ;;
  esac
}

for codec in gzip zstd xz lzma lz4 bzip2 lzop; do
  step "$codec: early archive + $codec main archive"
  img=$work/$codec.img
  { cat "$work/early.cpio"; compress "$codec" <"$work/main.cpio"; } >"$img"
  lsinitramfs "$img" >"$work/want"
  rc=0; "$bg" ls "$img" >"$work/got" 2>"$work/err" || rc=$?
  [ $rc = 0 ] || { cat "$work/err" >&2; fail "$codec: boot-guard ls exit $rc"; }
  diff -u "$work/want" "$work/got" || fail "$codec: boot-guard ls differs from lsinitramfs"
  [ -s "$work/err" ] && { cat "$work/err" >&2; fail "$codec: stderr not empty"; }
  rc=0; "$bg" inspect --json "$img" >"$work/json" || rc=$?
  [ $rc = 0 ] || fail "$codec: inspect exit $rc"
  name=$codec; [ "$codec" = lzop ] && name=lzo   # the kernel's name for it
  grep -q "\"compression\": \"$name\"" "$work/json" || fail "$codec: inspect does not name the codec ($name)"
  echo "    $(wc -l <"$work/got") paths, same as lsinitramfs"

  size=$(stat -c %s "$img")
  # Zero bytes at the end are not data the kernel needs: it skips zeros
  # after a member as padding, and its unlzma never reads the range coder's
  # last flush byte (0 here) when no normalization follows the final bit.
  # So every cut below removes at least one non-zero byte.
  zeros=$(tail -c 64 "$img" | od -An -v -tu1 | tr -s ' ' '\n' | grep . |
    awk '{ n = ($1 == 0) ? n + 1 : 0 } END { print n + 0 }')
  for cut in 1 7 1000; do
    head -c $((size - zeros - cut)) "$img" >"$work/cut.img"
    rc=0; "$bg" ls "$work/cut.img" >/dev/null 2>"$work/err" || rc=$?
    [ $rc = 1 ] || { cat "$work/err" >&2; fail "$codec: image cut by $cut bytes: exit $rc, want 1"; }
  done
  echo "    cut by 1, 7 and 1000 bytes: exit 1"

  case $codec in lzma|lz4) continue ;; esac   # no checksum in these formats
  early=$(stat -c %s "$work/early.cpio")
  for at in $(( early + (size - early) / 3 )) $(( early + (size - early) * 2 / 3 )) $(( size - 2 )); do
    cp "$img" "$work/bad.img"
    byte=$(od -An -tu1 -j "$at" -N1 "$img" | tr -d ' ')
    printf "$(printf '\\%03o' $(( byte ^ 0x55 )))" | dd of="$work/bad.img" bs=1 seek="$at" conv=notrunc status=none
    rc=0; "$bg" ls "$work/bad.img" >/dev/null 2>"$work/err" || rc=$?
    [ $rc = 1 ] || { cat "$work/err" >&2; fail "$codec: byte $at flipped: exit $rc, want 1"; }
  done
  echo "    a byte flipped at 3 places: exit 1"
done

step "two compressed members: lsinitramfs shows the first, boot-guard both"
img=$work/two.img
{ cat "$work/early.cpio"; gzip -c <"$work/main.cpio"; zstd -q -c <"$work/extra.cpio"; } >"$img"
lsinitramfs "$img" >"$work/want"
rc=0; "$bg" ls "$img" >"$work/got" || rc=$?
[ $rc = 0 ] || fail "two members: exit $rc"
{ cat "$work/want"; printf '.\nconf\nconf/extra.conf\n'; } | diff -u - "$work/got" || fail "two members: unexpected listing"

step "this machine's initrds (/boot/initrd.img-VERSION of each /boot/vmlinuz-VERSION)"
n=0
for k in /boot/vmlinuz-*; do
  img=/boot/initrd.img-${k#/boot/vmlinuz-}
  [ -f "$img" ] || continue
  lsinitramfs "$img" >"$work/want"
  rc=0; "$bg" ls "$img" >"$work/got" || rc=$?
  [ $rc = 0 ] || fail "$img: boot-guard ls exit $rc"
  diff -u "$work/want" "$work/got" || fail "$img: boot-guard ls differs from lsinitramfs"
  echo "    $img: $(wc -l <"$work/got") paths, same as lsinitramfs"
  n=$((n + 1))
done
[ $n -gt 0 ] || echo "    none on this machine"
step "done"
