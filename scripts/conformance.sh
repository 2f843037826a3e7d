#!/usr/bin/env bash
# conformance.sh: boot-guard against the distributions' own tools, on the real
# images scripts/real-images.sh builds (run that first).
#
# Usage: scripts/conformance.sh [IMAGE...]   (file names in $BG_IMAGES; default all)
#   BG_IMAGES  the images' directory (default build/images)
#   BG_BIN     the boot-guard binary (default: `make build`, then bin/boot-guard)
#   BG_CONFORMANCE_JOBS  images checked at once (default: one per core); each
#              image is then a child run of this script, its output printed
#              whole, in the images' order, when all are done
#
# Per image:
#   ls=lsinitramfs  `boot-guard ls` prints the same set of paths as lsinitramfs
#                   (initramfs-tools). Both print paths relative to the rootfs;
#                   a leading "./" or "/" is dropped, "." (the root itself) is
#                   ignored, and duplicates collapse: several archives may each
#                   carry "usr" or ".", and a set is what the kernel ends up with.
#   ls=lsinitrd     dracut.img only: the same against dracut's lsinitrd, whose
#                   listing is `ls -l`-like: the path is what follows the date,
#                   without " -> TARGET" for symlinks.
#   segments        `boot-guard inspect --json` puts the segments where
#                   real-images.sh --segments finds them by walking the cpio headers.
#   inspect         `boot-guard inspect` says the image is whole: exit 0.
#   oracle          the oracle below accepts the intact image (else it judges nothing).
#   Damaged copies: cut-50 (the first half of the file), cut-95 (the first 95%),
#   cut-4 (all but the last 4 bytes), flip (one byte xor 0xff in the middle of
#   the last compressed member) and empty (an empty file).
#   What each copy should be called comes from an oracle, never from the
#   damage's name: the cpio headers of the uncompressed segments are walked
#   (real-images.sh --segments), then the codec's own CLI decodes the compressed
#   member (`CODEC -dc`) and GNU `cpio -t` reads what it produced. When any of
#   them fails, the copy is broken: `boot-guard inspect` and `boot-guard ls` must
#   exit 1, inspect naming an offset ("offset N"). When all of them accept it:
#   - cut-4: the 4 bytes were padding outside every stream (the kernel skips
#     zero words between and after archives): the copy must be whole (exit 0).
#     No tool pads its output today, so in practice cut-4 is broken. Note the
#     zero bytes that end the lz4 and lzop images: they are inside the stream
#     (literal cpio padding in lz4's last block, lzop's end-of-stream word),
#     which the oracle sees and a "last 4 bytes are zero" rule would not.
#     For gzip the 4 bytes are ISIZE, which the kernel's decompress_inflate.c
#     skips without checking; gzip -dc and boot-guard require it: stricter than
#     the kernel, towards broken, as the reader's package doc says.
#   - flip: the byte changed file contents without a checksum noticing (lzma
#     and lz4 legacy have none). No reader can tell and the kernel would unpack
#     it: the row says UNDETECTABLE when boot-guard says whole (not a failure),
#     PASS when it still finds the damage.
#   - empty: a missing or empty initrd does not boot: always broken (exit 1).
#
# Prints one row per image x check, PASS or FAIL, and exits 1 on any FAIL.
set -euo pipefail
cd "$(dirname "$0")/.."

images=("$@")
out=${BG_IMAGES:-build/images}
if [ ! -s "$out/images.tsv" ]; then
	echo "conformance: no $out/images.tsv: run scripts/real-images.sh first" >&2
	exit 2
fi
out=$(cd "$out" && pwd)
if [ ${#images[@]} = 0 ]; then
	mapfile -t images < <(cut -f1 "$out/images.tsv")
fi
for c in lsinitramfs lsinitrd cpio gzip zstd xz lzma lz4 bzip2 lzop; do
	command -v "$c" >/dev/null || { echo "conformance: $c is missing: run scripts/real-images.sh --yes" >&2; exit 2; }
done
bin=${BG_BIN:-}
if [ -z "$bin" ]; then
	make -s build
	bin=$PWD/bin/boot-guard
fi

tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/bg-conformance.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fails=0
rows=()
row() { # IMAGE CHECK RESULT DETAIL
	rows+=("$(printf '%-28s %-16s %-12s %s' "$1" "$2" "$3" "$4")")
	echo "${rows[-1]}"
	[ "$3" = FAIL ] && fails=$((fails + 1))
	return 0
}

# paths: normalised, sorted, unique paths from a listing on stdin.
paths() { sed -e 's#^\./##' -e 's#^/##' | { grep -v -x -e '' -e '\.' || true; } | LC_ALL=C sort -u; }

# lsinitrd_paths: the path column of lsinitrd's `ls -l`-like listing (after its
# header, which ends with a line of "=" signs, and before the closing one).
lsinitrd_paths() {
	awk '/^=+$/ { sep++; next } sep % 2 == 0 && sep >= 2 && NF' |
		perl -ne '
			chomp;
			# perms links owner group (size | major, minor) Mon DD HH:MM|YYYY path
			if (/^(\S)\S{9}\s+\d+\s+\S+\s+\S+\s+(?:\d+,\s*)?\d+\s+\w{3}\s+\d+\s+(?:\d\d:\d\d|\d{4})\s(.*)$/) {
				my ($t, $p) = ($1, $2);
				$p =~ s/ -> .*$// if $t eq "l";
				print "$p\n";
			} else { print STDERR "conformance: lsinitrd line not understood: $_\n"; exit 1 }
		' | paths
}

# compare IMAGE CHECK GOT_FILE WANT_FILE WANT_NAME
compare() {
	local only_bg only_ref
	only_bg=$(LC_ALL=C comm -23 "$3" "$4" | wc -l)
	only_ref=$(LC_ALL=C comm -13 "$3" "$4" | wc -l)
	if [ "$only_bg" = 0 ] && [ "$only_ref" = 0 ]; then
		row "$1" "$2" PASS "$(wc -l <"$3") paths, same set"
	else
		row "$1" "$2" FAIL "$only_bg paths only in boot-guard ls, $only_ref only in $5 (e.g. $(LC_ALL=C comm -3 "$3" "$4" | head -3 | tr -s '\t\n' '  '))"
	fi
}

# oracle FILE: prints "whole" or "broken: WHY", from the cpio walk, the codec's
# CLI and GNU cpio (see the header). Never from boot-guard.
oracle() {
	local f=$1 walk last off codec
	if [ ! -s "$f" ]; then
		echo "broken: empty file"
		return
	fi
	if ! walk=$(bash scripts/real-images.sh --segments "$f" 2>"$tmp/oracle.err"); then
		echo "broken: $(sed 's/^real-images: [^:]*: //' "$tmp/oracle.err" | head -1)"
		return
	fi
	last=$(tail -1 <<<"$walk")
	off=${last%% *}
	codec=${last#* }
	case "$codec" in
	cpio) echo whole ;;
	gzip | zstd | xz | lzma | lz4 | bzip2 | lzop)
		if tail -c +$((off + 1)) "$f" | "$codec" -dc 2>"$tmp/oracle.err" | cpio -t --quiet >/dev/null 2>"$tmp/oracle.cpio.err"; then
			echo whole
		else
			echo "broken: $(cat "$tmp/oracle.err" "$tmp/oracle.cpio.err" | grep -m1 . | tr -s " ")"
		fi
		;;
	*) echo "broken: unknown data at offset $off" ;;
	esac
}

# judge IMAGE CHECK FILE: runs the oracle, then boot-guard inspect and ls on FILE.
judge() {
	local img=$1 check=$2 f=$3 want rc=0 lrc=0 msg
	want=$(oracle "$f")
	"$bin" inspect "$f" >"$tmp/inspect.out" 2>&1 || rc=$?
	"$bin" ls "$f" >/dev/null 2>&1 || lrc=$?
	# The first line naming an offset (or saying "empty"): the problem itself.
	# Shown as its kind and every offset it names.
	msg=$(grep -E -m1 '(offset [0-9]+|empty)' "$tmp/inspect.out" | sed 's/^ *//' || true)
	if [ -n "$msg" ]; then
		msg="${msg%%:*}: $(grep -o -E '(decompressed |image )?offset [0-9]+|empty' <<<"$msg" | awk '!seen[$0]++' | paste -sd, | sed 's/,/, /g')"
	fi
	got="inspect exit $rc, ls exit $lrc: $(grep -v '^ ' "$tmp/inspect.out" | head -2 | tr '\n' ' ' | cut -c1-220)"
	case "$want" in
	broken*)
		if [ $rc = 1 ] && [ $lrc = 1 ] && [ -n "$msg" ]; then
			row "$img" "$check" PASS "broken (exit 1): $msg [oracle: ${want#broken: }]"
		else
			row "$img" "$check" FAIL "want broken (exit 1, an offset named) [oracle: ${want#broken: }]; $got"
		fi
		;;
	whole)
		if [ "$check" = flip ]; then
			if [ $rc = 1 ]; then
				row "$img" "$check" PASS "broken (exit 1) although the codec CLI and cpio -t accept it: $msg"
			else
				row "$img" "$check" UNDETECTABLE "the codec CLI and cpio -t accept it too (no checksum over that byte); $got"
			fi
		elif [ $rc = 0 ] && [ $lrc = 0 ]; then
			row "$img" "$check" PASS "whole (exit 0): only padding was removed [oracle: whole]"
		else
			row "$img" "$check" FAIL "want whole (exit 0) [oracle: whole]; $got"
		fi
		;;
	esac
}

# Several images at once: each is a child run (BG_CONFORMANCE_JOBS=1) into its
# own log, the slowest codecs first (bzip2, lzma, xz: their CLIs and ours take
# the longest), so the quick ones fill the gaps.
jobs_max=${BG_CONFORMANCE_JOBS:-$(nproc)}
if [ "$jobs_max" -gt 1 ] && [ ${#images[@]} -gt 1 ]; then
	t_start=$(date +%s)
	mapfile -t order < <(printf '%s\n' "${images[@]}" | awk '{ w = /bzip2/ ? 0 : /lzma/ ? 1 : /xz/ ? 2 : 3; print w "\t" NR "\t" $0 }' | sort -n -k1,1 -k2,2 | cut -f3)
	for img in "${order[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
		{ BG_CONFORMANCE_JOBS=1 BG_BIN=$bin BG_IMAGES=$out bash "$0" "$img" >"$tmp/$img.child" 2>&1 || : >"$tmp/$img.failed"; } &
	done
	wait
	failed=()
	for img in "${images[@]}"; do
		cat "$tmp/$img.child"
		[ ! -e "$tmp/$img.failed" ] || failed+=("$img")
	done
	echo "conformance: ${#images[@]} images, $jobs_max at once, in $(($(date +%s) - t_start))s"
	if [ ${#failed[@]} != 0 ]; then
		echo "conformance: FAIL on ${failed[*]}"
		exit 1
	fi
	echo "conformance: all PASS"
	exit 0
fi

t_start=$(date +%s)
echo "conformance: $(date -u +%FT%TZ), boot-guard $("$bin" --version 2>/dev/null | head -1), kernel $(cat "$out/KERNEL" 2>/dev/null)"
for img in "${images[@]}"; do
	f=$out/$img
	[ -s "$f" ] || { row "$img" exists FAIL "no such image: run scripts/real-images.sh"; continue; }
	t0=$(date +%s)
	size=$(stat -c %s "$f")

	# --- listings -------------------------------------------------------------
	rc=0
	"$bin" ls "$f" >"$tmp/bg.raw" 2>"$tmp/ls.err" || rc=$?
	paths <"$tmp/bg.raw" >"$tmp/bg.paths"
	if [ $rc != 0 ] || [ -s "$tmp/ls.err" ]; then
		row "$img" ls FAIL "boot-guard ls exit $rc: $(head -2 "$tmp/ls.err" | tr '\n' ' ')"
	else
		if ! lsinitramfs "$f" 2>"$tmp/lsinitramfs.err" | paths >"$tmp/ref.paths"; then
			row "$img" ls=lsinitramfs FAIL "lsinitramfs failed: $(head -2 "$tmp/lsinitramfs.err" | tr '\n' ' ')"
		fi
		[ -s "$tmp/ref.paths" ] && compare "$img" ls=lsinitramfs "$tmp/bg.paths" "$tmp/ref.paths" lsinitramfs
		if [ "$img" = dracut.img ]; then
			if lsinitrd "$f" 2>"$tmp/lsinitrd.err" | lsinitrd_paths >"$tmp/lsinitrd.paths" 2>>"$tmp/lsinitrd.err"; then
				compare "$img" ls=lsinitrd "$tmp/bg.paths" "$tmp/lsinitrd.paths" lsinitrd
			else
				row "$img" ls=lsinitrd FAIL "lsinitrd's listing could not be read: $(head -2 "$tmp/lsinitrd.err" | tr '\n' ' ')"
			fi
		fi
	fi

	# --- segments and integrity -----------------------------------------------
	bash scripts/real-images.sh --segments "$f" >"$tmp/walk"
	rc=0
	"$bin" inspect --json "$f" >"$tmp/json" 2>"$tmp/json.err" || rc=$?
	# Segments as "OFFSET KIND", from the JSON (compression "none" is a cpio;
	# the kernel's "lzo" is the lzop container the walker names by its tool).
	perl -0ne 'while (/"offset":\s*(\d+),\s*"end":\s*\d+,\s*"compression":\s*"(\w+)"/g) { print "$1 ", ($2 eq "none" ? "cpio" : $2 eq "lzo" ? "lzop" : $2), "\n" }' \
		"$tmp/json" >"$tmp/json.segs"
	# The walker stops at the first compressed member: compare that far.
	head -n "$(wc -l <"$tmp/walk")" "$tmp/json.segs" >"$tmp/json.head"
	if [ $rc = 0 ] && cmp -s "$tmp/walk" "$tmp/json.head"; then
		row "$img" segments PASS "$(tr '\n' ' ' <"$tmp/json.segs")"
	else
		row "$img" segments FAIL "inspect --json exit $rc, segments '$(tr '\n' ' ' <"$tmp/json.segs")', cpio walk '$(tr '\n' ' ' <"$tmp/walk")'"
	fi
	rc=0
	"$bin" inspect "$f" >"$tmp/inspect.out" 2>&1 || rc=$?
	if [ $rc = 0 ] && head -1 "$tmp/inspect.out" | grep -q 'whole'; then
		row "$img" inspect PASS "$(head -1 "$tmp/inspect.out" | sed "s#^$f: ##")"
	else
		row "$img" inspect FAIL "exit $rc: $(head -3 "$tmp/inspect.out" | tr '\n' ' ')"
	fi

	# --- damaged copies ---------------------------------------------------------
	# The oracle must accept the intact image, or every judgement below is void.
	want=$(oracle "$f")
	if [ "$want" = whole ]; then
		row "$img" oracle PASS "cpio walk, the codec's CLI and cpio -t accept the intact image"
	else
		row "$img" oracle FAIL "the oracle rejects the intact image: ${want#broken: }"
	fi
	d=$tmp/damaged
	head -c $((size / 2)) "$f" >"$d"
	judge "$img" cut-50 "$d"
	head -c $((size * 95 / 100)) "$f" >"$d"
	judge "$img" cut-95 "$d"
	head -c $((size - 4)) "$f" >"$d"
	judge "$img" cut-4 "$d"
	last=$(tail -1 "$tmp/walk")
	off=${last%% *}
	if [ "${last#* }" = cpio ]; then
		row "$img" flip FAIL "no compressed member (cpio walk: $(tr '\n' ' ' <"$tmp/walk"))"
	else
		pos=$((off + (size - off) / 2))
		cp "$f" "$d"
		perl -e 'my ($f, $p) = @ARGV; open(my $h, "+<:raw", $f) or die "$f: $!"; seek($h, $p, 0); read($h, my $b, 1);
			seek($h, $p, 0); print $h chr(ord($b) ^ 0xff); close($h) or die "$f: $!"' "$d" "$pos"
		judge "$img" flip "$d"
	fi
	rm -f "$d"
	echo "conformance: $img done in $(($(date +%s) - t0))s" >&2
done

: >"$tmp/empty"
judge "(any)" empty "$tmp/empty"

echo
echo "conformance summary ($(($(date +%s) - t_start))s):"
printf '%-28s %-16s %-12s %s\n' image check result detail
printf '%s\n' "${rows[@]}" | cut -c1-220
if [ $fails != 0 ]; then
	echo "conformance: $fails FAIL"
	exit 1
fi
echo "conformance: all PASS"
