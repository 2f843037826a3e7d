#!/usr/bin/env bash
# real-images.sh: builds real initrd images with the real tools, from a real
# Debian kernel package, for the conformance test (scripts/conformance.sh), the
# benchmarks (scripts/bench.sh) and the end-to-end tests (QEMU, hooks).
#
# Usage:
#   scripts/real-images.sh [--yes] [--force]   build (or reuse) every image
#   scripts/real-images.sh --segments FILE     print FILE's segments, one per line:
#                                              "OFFSET KIND" (KIND: cpio, gzip, zstd,
#                                              xz, lzma, lz4, bzip2, lzop, unknown);
#                                              walks uncompressed cpio archives
#                                              header by header, stops at the first
#                                              compressed one (it runs to the end)
#
# Installs packages (apt-get) only when CI=true or with --yes: initramfs-tools,
# dracut-core (it ships dracut and lsinitrd; the `dracut` package would remove
# initramfs-tools), the codec CLIs, cpio, GNU time and linux-image-amd64.
#
# Environment:
#   BG_IMAGES   cache directory (default build/images; /build/ is git-ignored).
#               Images are reused within a run: one is rebuilt only when missing,
#               when the kernel or this script changed, or with --force.
#   BG_KERNEL   kernel version to build for (default: the one linux-image-amd64
#               depends on, else the newest installed kernel with /boot/vmlinuz-V
#               and /lib/modules/V/modules.dep)
#
# Files in $BG_IMAGES (other scripts and tests rely on these names):
#   KERNEL                        the kernel version the images are built for
#   images.tsv                    one line per image: FILE<TAB>LISTER<TAB>WHAT
#                                 (LISTER: lsinitramfs or lsinitrd, the tool whose
#                                 listing is the reference for that image)
#   mkinitramfs-gzip.img          mkinitramfs -c gzip, MODULES=most
#   mkinitramfs-zstd.img          mkinitramfs -c zstd  (Debian 12's default)
#   mkinitramfs-xz.img            mkinitramfs -c xz    (multi-threaded: several blocks)
#   mkinitramfs-lzma.img          mkinitramfs -c lzma
#   mkinitramfs-lz4.img           mkinitramfs -c lz4   (lz4 legacy format, -l)
#   mkinitramfs-bzip2.img         mkinitramfs -c bzip2
#   mkinitramfs-lzop.img          mkinitramfs -c lzop
#                                 (the seven hold one archive: mkinitramfs -k
#                                 builds it once and the other six compress its
#                                 main cpio with mkinitramfs's own command for
#                                 their codec, proven on zstd byte for byte)
#   dracut.img                    dracut --no-hostonly (dracut's own default codec)
#   ubuntu.img                    Ubuntu-style: an uncompressed early cpio with
#                                 (fake) microcode, an uncompressed cpio of the
#                                 .ko.zst modules, then the zstd main archive
#                                 (modules.dep names the .ko.zst files)
#   mkinitramfs-list-noroot.img   MODULES=list with only ext4 listed, zstd: no
#                                 disk driver at all (no virtio_blk, nvme, ahci,
#                                 sd_mod): an image that must NOT mount a root disk
#
# Never writes under /boot or /lib/modules: images are built with a private
# initramfs-tools config directory (mkinitramfs -d) and dracut config, so the
# machine's own /etc/initramfs-tools and /etc/dracut.conf.d are not used.
set -euo pipefail

# segments FILE: see the header. Perl (perl-base is Essential on Debian) walks
# the newc/crc headers the way the kernel's init/initramfs.c does: 110-byte
# header, name padded to 4 bytes, body padded to 4 bytes, zero words between
# archives skipped.
segments() {
	perl -e '
		use strict; use warnings;
		my $f = shift; open(my $fh, "<:raw", $f) or die "real-images: $f: $!\n";
		my $size = -s $fh; my $off = 0;
		sub rd { my ($o, $n) = @_; seek($fh, $o, 0) or return ""; my $b = ""; read($fh, $b, $n); return $b; }
		while ($off < $size) {
			my $w = rd($off, 4);
			if ($w eq "\0\0\0\0") { $off += 4; next; }
			my $m = rd($off, 6);
			if ($m eq "070701" || $m eq "070702") {
				print "$off cpio\n";
				while (1) {
					my $h = rd($off, 110);
					die sprintf("real-images: %s: cpio header at offset %d: bad magic\n", $f, $off)
						unless length($h) == 110 && substr($h, 0, 6) =~ /^07070[12]$/;
					my $fsz = hex(substr($h, 54, 8)); my $nsz = hex(substr($h, 94, 8));
					my $name = rd($off + 110, $nsz); $name =~ s/\0.*//s;
					my $p = $off + 110 + $nsz; $p = ($p + 3) & ~3;
					$p += $fsz; $p = ($p + 3) & ~3;
					$off = $p;
					last if $name eq "TRAILER!!!";
					die sprintf("real-images: %s: cpio archive runs past the end at offset %d\n", $f, $off) if $off > $size;
				}
				next;
			}
			my $k = "unknown"; my $b = rd($off, 6);
			if    (substr($b,0,2) eq "\x1f\x8b" || substr($b,0,2) eq "\x1f\x9e") { $k = "gzip" }
			elsif (substr($b,0,4) eq "\x28\xb5\x2f\xfd") { $k = "zstd" }
			elsif ($b eq "\xfd7zXZ\0") { $k = "xz" }
			elsif (substr($b,0,3) eq "\x5d\0\0") { $k = "lzma" }
			elsif (substr($b,0,4) eq "\x02\x21\x4c\x18" || substr($b,0,4) eq "\x04\x22\x4d\x18") { $k = "lz4" }
			elsif (substr($b,0,3) eq "BZh") { $k = "bzip2" }
			elsif (substr($b,0,4) eq "\x89LZO") { $k = "lzop" }
			print "$off $k\n";
			last;
		}
	' "$1"
}

if [ "${1:-}" = "--segments" ]; then
	[ $# = 2 ] || { echo "usage: $0 --segments FILE" >&2; exit 2; }
	segments "$2"
	exit
fi

yes=false
force=false
for a in "$@"; do
	case "$a" in
	--yes) yes=true ;;
	--force) force=true ;;
	*) echo "usage: $0 [--yes] [--force] | --segments FILE" >&2; exit 2 ;;
	esac
done
[ "${CI:-}" = true ] && yes=true

cd "$(dirname "$0")/.."

out=${BG_IMAGES:-build/images}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export DEBIAN_FRONTEND=noninteractive
t_start=$(date +%s.%N)

log() { printf 'real-images: %s\n' "$*" >&2; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# --- packages ---------------------------------------------------------------
pkgs=(initramfs-tools dracut-core zstd lz4 lzop xz-utils bzip2 gzip cpio time linux-image-amd64)
need=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	if ! $yes; then
		log "missing packages: ${need[*]}"
		log "hint: run 'sudo $0 --yes' (or with CI=true) to apt-get install them"
		exit 2
	fi
	t0=$(date +%s.%N)
	log "apt-get install ${need[*]}"
	# dracut-core, never dracut: the dracut package conflicts with initramfs-tools.
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${need[@]}" >"$out/apt.log" 2>&1 || {
		tail -30 "$out/apt.log" >&2
		log "apt-get install failed (full log: $out/apt.log)"
		exit 1
	}
	log "packages installed in $(elapsed "$t0")s"
fi

# --- kernel -----------------------------------------------------------------
kernel=${BG_KERNEL:-}
if [ -z "$kernel" ]; then
	# The kernel linux-image-amd64 depends on (the one the drivers-as-modules
	# checks expect: not a -cloud kernel), else the newest installed one.
	kernel=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
	[ -n "$kernel" ] && [ -e "/boot/vmlinuz-$kernel" ] || kernel=
fi
if [ -z "$kernel" ]; then
	for d in $(ls -1 /lib/modules 2>/dev/null | sort -V); do
		[ -e "/boot/vmlinuz-$d" ] && [ -e "/lib/modules/$d/modules.dep" ] && [ -e "/boot/config-$d" ] && kernel=$d
	done
fi
if [ -z "$kernel" ] || [ ! -e "/lib/modules/$kernel/modules.dep" ]; then
	log "no installed kernel with /boot/vmlinuz-V and /lib/modules/V/modules.dep${kernel:+ (asked for $kernel)}"
	log "hint: apt-get install linux-image-amd64, or set BG_KERNEL"
	exit 1
fi
log "kernel $kernel, images in $out"

# Rebuild everything when the kernel changed (after editing this script: --force).
stamp=$kernel
if [ -e "$out/.stamp" ] && [ "$(cat "$out/.stamp")" != "$stamp" ]; then
	log "kernel or script changed since the last build: rebuilding"
	force=true
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/bg-real-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A private initramfs-tools config directory: the package's defaults, MODULES
# and modules list as given, no local hooks or scripts.
confdir() { # NAME MODULES [module...]
	local d="$work/conf-$1" m=$2
	shift 2
	mkdir -p "$d/conf.d" "$d/hooks" "$d/scripts"
	cat >"$d/initramfs.conf" <<-EOF
		MODULES=$m
		BUSYBOX=auto
		KEYMAP=n
		COMPRESS=zstd
		DEVICE=
		NFSROOT=auto
		RUNSIZE=10%
		FSTYPE=auto
	EOF
	printf '%s\n' "$@" >"$d/modules"
	echo "$d"
}

declare -a manifest
report() { # FILE SECONDS
	log "$(printf '%-28s %10s bytes  built in %ss' "$1" "$(stat -c %s "$out/$1")" "$2")"
}
# fresh FILE: true when FILE can be reused.
fresh() { ! $force && [ -s "$out/$1" ]; }

# --- mkinitramfs, one image per codec ----------------------------------------
# The builds are independent and mostly single-threaded (lzma, bzip2 and gzip
# compress on one core), so BG_IMAGE_JOBS of them (default: one per core) run
# at once; a failed build leaves $work/failed.FILE and fails the script after
# the others finish.
jobs_max=${BG_IMAGE_JOBS:-$(nproc)}
spawn() { # spawn CMD...: CMD in the background once fewer than jobs_max builds run
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
	"$@" &
}
# The seven codec images hold one archive: mkinitramfs builds it once (-k keeps
# its uncompressed main cpio), and the other six compress that cpio with the
# command mkinitramfs itself would run for their codec. Building the tree is
# what costs (15,000 processes, about 60 s of one core here); a
# compression takes 1 to 130 s. mkinitramfs per codec took the stage's image
# builds to 540 s on the 2-core CI machine (2026-12-03).
#
# codec_cmd CODEC: mkinitramfs's compression command for CODEC, as
# initramfs-tools 0.142 (Debian 12) sets it with no COMPRESSLEVEL and no
# SOURCE_DATE_EPOCH. codec_known checks that the installed mkinitramfs still
# says so, line by line; when it does not, every codec is built by mkinitramfs.
codec_cmd() {
	case $1 in
	gzip) if command -v pigz >/dev/null; then echo pigz; else echo gzip; fi ;;
	lz4) echo "lz4 -9 -l" ;;
	zstd) echo "zstd -q -9 -T0" ;;
	xz) echo "xz --check=crc32 --threads=0" ;;
	bzip2 | lzma | lzop) echo "$1" ;;
	esac
}
codec_known() {
	local m line
	m=$(command -v mkinitramfs) || return 1
	while IFS= read -r line; do
		grep -qF -- "$line" "$m" || { log "$m lacks the line: $line"; return 1; }
	done <<-'EOF'
		lz4)	compresslevel="-${compresslevel:-9}" ;;
		zstd)	compresslevel="-${compresslevel:-9}" ;;
		lz4)	compress="lz4 ${compresslevel} -l" ;;
		zstd)	compress="zstd -q ${compresslevel}"
			test -z "${SOURCE_DATE_EPOCH}" && compress="$compress -T0"
		xz)	compress="xz ${compresslevel} --check=crc32"
			test -z "${SOURCE_DATE_EPOCH}" && compress="$compress --threads=0"
			compress="${compress} ${compresslevel}"
		$compress -c "${__TMPMAINCPIO}" ||
	EOF
}
kconfig_sym() { # the kernel option that lets it unpack CODEC, as mkinitramfs checks it
	case $1 in
	lzop) echo CONFIG_RD_LZO ;;
	*) echo "CONFIG_RD_$(echo "$1" | tr '[:lower:]' '[:upper:]')" ;;
	esac
}
build_codec() { # build_codec CODEC [-k]: mkinitramfs -c CODEC into $out (with -k: into $work, kept)
	local c=$1 f=mkinitramfs-$1.img t0
	t0=$(date +%s.%N)
	mkdir -p "$work/mk-$c"
	TMPDIR=$work/mk-$c mkinitramfs ${2:-} -d "$most" -c "$c" -o "$work/$f" "$kernel" >"$work/$f.log" 2>&1 || {
		cat "$work/$f.log" >&2
		log "mkinitramfs -c $c failed"
		: >"$work/failed.$f"
		return 1
	}
	# mkinitramfs falls back to gzip, with a warning, when the kernel lacks a codec.
	if grep -q 'not supported by kernel' "$work/$f.log"; then
		cat "$work/$f.log" >&2
		log "$f: $kernel cannot unpack $c"
		: >"$work/failed.$f"
		return 1
	fi
	[ -n "${2:-}" ] && return
	mv "$work/$f" "$out/$f"
	report "$f" "$(elapsed "$t0")"
}
# recompress CODEC [FILE]: the zstd build's archive, compressed as mkinitramfs
# -c CODEC would (early cpio, the main cpio through codec_cmd, the overlay),
# into $out (or FILE).
recompress() {
	local c=$1 f=mkinitramfs-$1.img t0 sym
	t0=$(date +%s.%N)
	sym=$(kconfig_sym "$c")
	grep -q "^$sym=y" "/boot/config-$kernel" || {
		log "$f: $kernel cannot unpack $c ($sym is not y in /boot/config-$kernel)"
		: >"$work/failed.$f"
		return 1
	}
	{
		cat "$mk_early"
		# shellcheck disable=SC2046 # the command is words
		$(codec_cmd "$c") -c "$mk_main" || { log "$(codec_cmd "$c") failed"; exit 1; }
		cat "$mk_overlay"
	} >"${2:-$work/$f}" || { : >"$work/failed.$f"; return 1; }
	[ -n "${2:-}" ] && return
	mv "$work/$f" "$out/$f"
	report "$f" "$(elapsed "$t0")"
}
for c in gzip zstd xz lzma lz4 bzip2 lzop; do
	manifest+=("mkinitramfs-$c.img	lsinitramfs	mkinitramfs -c $c, MODULES=most")
done

# --- MODULES=list, no disk driver ----------------------------------------------
f=mkinitramfs-list-noroot.img
manifest+=("$f	lsinitramfs	mkinitramfs MODULES=list (ext4 only), zstd: no disk driver")
build_noroot() {
	local f=mkinitramfs-list-noroot.img t0 list
	t0=$(date +%s.%N)
	list=$(confdir list list ext4)
	mkinitramfs -d "$list" -c zstd -o "$work/$f" "$kernel" >"$work/$f.log" 2>&1 || {
		cat "$work/$f.log" >&2
		log "mkinitramfs MODULES=list failed"
		: >"$work/failed.$f"
		return 1
	}
	# The image exists to lack the disk drivers: prove it does.
	lsinitramfs "$work/$f" >"$work/$f.list"
	if grep -E '/(virtio_blk|virtio_scsi|nvme|ahci|sd_mod|ata_piix)\.ko' "$work/$f.list"; then
		log "$f unexpectedly contains a disk driver (listed above): a hook added it"
		: >"$work/failed.$f"
		return 1
	fi
	grep -q "/ext4\.ko\$" "$work/$f.list" || { log "$f lacks ext4.ko"; : >"$work/failed.$f"; return 1; }
	mv "$work/$f" "$out/$f"
	report "$f" "$(elapsed "$t0")"
}
noroot_todo=true
fresh "$f" && { log "reusing $f"; noroot_todo=false; }

# --- dracut --------------------------------------------------------------------
f=dracut.img
manifest+=("$f	lsinitrd	dracut --no-hostonly (dracut-core)")
build_dracut() {
	local f=dracut.img t0
	t0=$(date +%s.%N)
	mkdir -p "$work/dracut.conf.d"
	dracut --conf /dev/null --confdir "$work/dracut.conf.d" --tmpdir "$work" \
		--no-hostonly --no-hostonly-cmdline --force "$work/$f" "$kernel" >"$work/$f.log" 2>&1 || {
		tail -40 "$work/$f.log" >&2
		log "dracut failed"
		: >"$work/failed.$f"
		return 1
	}
	chmod 0644 "$work/$f"
	mv "$work/$f" "$out/$f"
	report "$f" "$(elapsed "$t0")"
}
if fresh "$f"; then log "reusing $f"; else spawn build_dracut; fi

most=$(confdir most most)
codecs=(lzma xz bzip2 gzip zstd lz4 lzop) # the slowest first, so the quick ones fill the gaps
todo=()
for c in "${codecs[@]}"; do
	f=mkinitramfs-$c.img
	if fresh "$f"; then log "reusing $f"; else todo+=("$c"); fi
done
# Order: dracut beside the one mkinitramfs run of MODULES=most, then the
# MODULES=list run and the compressions.
if [ ${#todo[@]} -gt 0 ] && codec_known; then
	unset SOURCE_DATE_EPOCH COMPRESSLEVEL
	t0=$(date +%s.%N)
	build_codec zstd -k || { wait; exit 1; }
	# "Working files in D, early initramfs in E, main initramfs in M and overlay in O"
	read -r mk_early mk_main mk_overlay < <(sed -n 's/^Working files in .*, early initramfs in \(.*\), main initramfs in \(.*\) and overlay in \(.*\)$/\1 \2 \3/p' "$work/mkinitramfs-zstd.img.log")
	[ -s "${mk_main:-}" ] || { cat "$work/mkinitramfs-zstd.img.log" >&2; log "mkinitramfs -k named no main cpio"; exit 1; }
	# The proof that recompress builds what mkinitramfs builds: for zstd, the same bytes.
	recompress zstd "$work/zstd.again" || exit 1
	if cmp -s "$work/zstd.again" "$work/mkinitramfs-zstd.img"; then
		log "recompressing mkinitramfs's main cpio as it does gives its zstd image, byte for byte: the other codecs reuse that cpio"
	else
		log "recompressing mkinitramfs's main cpio with '$(codec_cmd zstd)' does not give its zstd image: building every codec with mkinitramfs"
		mk_main=
	fi
	if [[ " ${todo[*]} " == *" zstd "* ]]; then
		mv "$work/mkinitramfs-zstd.img" "$out/mkinitramfs-zstd.img"
		report mkinitramfs-zstd.img "$(elapsed "$t0")"
	fi
	$noroot_todo && spawn build_noroot
	for c in "${todo[@]}"; do
		[ "$c" = zstd ] && continue
		if [ -n "$mk_main" ]; then spawn recompress "$c"; else spawn build_codec "$c"; fi
	done
elif [ ${#todo[@]} -gt 0 ]; then
	log "the installed mkinitramfs compresses differently from initramfs-tools 0.142: building every codec with mkinitramfs"
	for c in "${todo[@]}"; do spawn build_codec "$c"; done
	$noroot_todo && spawn build_noroot
else
	$noroot_todo && spawn build_noroot
fi

wait
if compgen -G "$work/failed.*" >/dev/null; then
	log "failed: $(cd "$work" && echo failed.* | sed 's/failed\.//g')"
	exit 1
fi

# --- Ubuntu-style: early microcode cpio + .ko.zst cpio + zstd main ----------------
f=ubuntu.img
manifest+=("$f	lsinitramfs	Ubuntu-style: early microcode cpio, .ko.zst cpio, zstd main")
if fresh "$f"; then
	log "reusing $f"
else
	t0=$(date +%s.%N)
	u=$work/ubuntu
	mkdir -p "$u/early/kernel/x86/microcode" "$u/mods" "$u/unpacked"
	# Fake microcode: the kernel only wants the path; the content is never loaded here.
	head -c 131072 /dev/urandom >"$u/early/kernel/x86/microcode/GenuineIntel.bin"
	head -c 65536 /dev/urandom >"$u/early/kernel/x86/microcode/AuthenticAMD.bin"
	# The main tree: what mkinitramfs built for zstd (unmkinitramfs puts a tree
	# with early archives under main/).
	unmkinitramfs "$out/mkinitramfs-zstd.img" "$u/unpacked"
	main=$u/unpacked
	[ -d "$u/unpacked/main" ] && main=$u/unpacked/main
	mdir=usr/lib/modules/$kernel
	[ -d "$main/$mdir/kernel" ] || { log "no $mdir/kernel in the zstd image"; exit 1; }
	# Compress every module as Ubuntu ships them, and let depmod name the .ko.zst.
	find "$main/$mdir" -name '*.ko' -print0 | xargs -0 -r -n 64 -P "$(nproc)" zstd -q --rm
	rm -f "$main/$mdir"/modules.*.bin
	depmod -b "$main" "$kernel"
	grep -q '\.ko\.zst:' "$main/$mdir/modules.dep" || { log "depmod did not name .ko.zst modules"; exit 1; }
	# The modules' tree goes to its own segment; the main archive keeps modules.*.
	mkdir -p "$u/mods/$mdir"
	mv "$main/$mdir/kernel" "$u/mods/$mdir/kernel"
	for x in updates extra; do
		[ -d "$main/$mdir/$x" ] && mv "$main/$mdir/$x" "$u/mods/$mdir/$x"
	done
	newc() { (cd "$1" && find . | LC_ALL=C sort | cpio --quiet -R 0:0 -o -H newc); }
	{
		newc "$u/early"
		newc "$u/mods"
		newc "$main" | zstd -q -9 -T0
	} >"$work/$f"
	# The layout is what this image is for: check it.
	got=$(segments "$work/$f" | awk '{print $2}' | tr '\n' ' ')
	[ "$got" = "cpio cpio zstd " ] || { log "$f has segments '$got', want 'cpio cpio zstd'"; exit 1; }
	mv "$work/$f" "$out/$f"
	report "$f" "$(elapsed "$t0")"
fi

printf '%s\n' "${manifest[@]}" >"$out/images.tsv"
echo "$kernel" >"$out/KERNEL"
echo "$stamp" >"$out/.stamp"
log "all images ready in $(elapsed "$t_start")s:"
for line in "${manifest[@]}"; do
	f=${line%%	*}
	printf '  %-30s %10s bytes  %s\n' "$f" "$(stat -c %s "$out/$f")" "$(segments "$out/$f" | awk '{printf "%s%s@%s", sep, $2, $1; sep=","}')" >&2
done
