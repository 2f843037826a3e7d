package initrd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func mustRead(t *testing.T, img []byte, opt Options) *Image {
	t.Helper()
	im, err := Read(context.Background(), bytes.NewReader(img), opt)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return im
}

func paths(im *Image) []string {
	var out []string
	for _, e := range im.Entries {
		out = append(out, e.Path)
	}
	return out
}

func wantWhole(t *testing.T, im *Image) {
	t.Helper()
	if !im.Whole() {
		t.Fatalf("image not whole: %+v", im.Problems)
	}
}

func wantProblem(t *testing.T, im *Image, kind ProblemKind, substr ...string) Problem {
	t.Helper()
	if len(im.Problems) != 1 {
		t.Fatalf("want one %v problem, got %+v", kind, im.Problems)
	}
	p := im.Problems[0]
	if p.Kind != kind {
		t.Fatalf("problem kind %v, want %v: %s", p.Kind, kind, p.Message)
	}
	for _, s := range substr {
		if !strings.Contains(p.Message, s) {
			t.Errorf("problem %q does not mention %q", p.Message, s)
		}
	}
	return p
}

func TestReadUncompressedArchive(t *testing.T) {
	img := archive(dir("."), dir("bin"), file("bin/sh", "#!shell"), symlink("sbin", "bin"),
		chardev("dev/console"), file("./etc/hostname", "h\n"), file("/abs/x", ""), file("../up", "u"))
	im := mustRead(t, img, Options{})
	wantWhole(t, im)
	want := []string{".", "bin", "bin/sh", "sbin", "dev/console", "etc/hostname", "abs/x", "up"}
	if got := paths(im); !reflect.DeepEqual(got, want) {
		t.Fatalf("paths %q, want %q", got, want)
	}
	if len(im.Segments) != 1 {
		t.Fatalf("segments %+v", im.Segments)
	}
	s := im.Segments[0]
	if s.Compression != "none" || s.Offset != 0 || s.End != int64(len(img)) || s.Archives != 1 || s.Entries != 8 ||
		s.CompressedSize != int64(len(img)) || s.DecompressedSize != int64(len(img)) {
		t.Fatalf("segment %+v (image %d bytes)", s, len(img))
	}
	if im.Size != int64(len(img)) {
		t.Fatalf("size %d, want %d", im.Size, len(img))
	}
	sh, ok := im.Has("/bin/sh")
	if !ok || sh.Size != 7 || !sh.IsRegular() || sh.Offset != 112+116 {
		t.Fatalf("bin/sh: %+v %v", sh, ok)
	}
	l, _ := im.Has("sbin")
	if l.Link != "bin" || !l.IsSymlink() {
		t.Fatalf("sbin: %+v", l)
	}
	if _, ok := im.Has("sbin/sh"); !ok {
		t.Fatal("sbin/sh not found through the symlink")
	}
	// Offsets of entries only grow and each header is where it says.
	for i, e := range im.Entries {
		if !bytes.HasPrefix(img[e.Offset:], []byte("070701")) {
			t.Errorf("entry %d %q: no header at offset %d", i, e.Path, e.Offset)
		}
	}
}

func TestCleanPath(t *testing.T) {
	cases := map[string]string{
		".": ".", "./": ".", "/": ".", "": ".", "./bin": "bin", "/bin//sh": "bin/sh",
		"a/./b": "a/b", "../../etc": "etc", "a/../b": "b", "./a/b/": "a/b",
	}
	for in, want := range cases {
		if got := CleanPath(in); got != want {
			t.Errorf("CleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadLayouts(t *testing.T) {
	early := archive(dir("kernel"), dir("kernel/x86"), file("kernel/x86/microcode/GenuineIntel.bin", "ucode"))
	early2 := archive(file("kernel/x86/microcode/AuthenticAMD.bin", "amd"))
	main := archive(dir("."), file("init", "#!/bin/sh\n"), dir("usr"))
	second := archive(file("conf/extra", "x"))
	cases := []struct {
		name   string
		img    []byte
		codecs []string
		paths  []string
		arch   []int
	}{
		{"early then gzip main", cat(early, gz(t, main)), []string{"none", "gzip"},
			[]string{"kernel", "kernel/x86", "kernel/x86/microcode/GenuineIntel.bin", ".", "init", "usr"}, []int{1, 1}},
		{"two early archives then zstd", cat(early, zeros(512), early2, zst(t, main)), []string{"none", "none", "zstd"},
			[]string{"kernel", "kernel/x86", "kernel/x86/microcode/GenuineIntel.bin", "kernel/x86/microcode/AuthenticAMD.bin", ".", "init", "usr"}, []int{1, 1, 1}},
		{"two compressed members in a row", cat(gz(t, main), zst(t, second)), []string{"gzip", "zstd"},
			[]string{".", "init", "usr", "conf/extra"}, []int{1, 1}},
		{"gzip then gzip", cat(gz(t, main), gz(t, second)), []string{"gzip", "gzip"},
			[]string{".", "init", "usr", "conf/extra"}, []int{1, 1}},
		{"zero padding between and after", cat(early, zeros(3), gz(t, main), zeros(5), zst(t, second), zeros(4096)), []string{"none", "gzip", "zstd"},
			[]string{"kernel", "kernel/x86", "kernel/x86/microcode/GenuineIntel.bin", ".", "init", "usr", "conf/extra"}, []int{1, 1, 1}},
		{"several archives in one member", cat(zst(t, cat(main, zeros(8), second, archive(file("third", "3"))))), []string{"zstd"},
			[]string{".", "init", "usr", "conf/extra", "third"}, []int{3}},
		{"compressed member then uncompressed archive", cat(alignTo4(gz(t, main)), second), []string{"gzip", "none"},
			[]string{".", "init", "usr", "conf/extra"}, []int{1, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			im := mustRead(t, tc.img, Options{})
			wantWhole(t, im)
			if got := paths(im); !reflect.DeepEqual(got, tc.paths) {
				t.Fatalf("paths %q, want %q", got, tc.paths)
			}
			var codecs []string
			var arch []int
			prevEnd := int64(0)
			total := 0
			for i, s := range im.Segments {
				codecs = append(codecs, s.Compression)
				arch = append(arch, s.Archives)
				if s.Index != i || s.Offset < prevEnd || s.End <= s.Offset || s.End > int64(len(tc.img)) || s.CompressedSize != s.End-s.Offset {
					t.Errorf("segment %d: %+v (previous end %d)", i, s, prevEnd)
				}
				for _, b := range tc.img[prevEnd:s.Offset] {
					if b != 0 {
						t.Errorf("segment %d: non-zero byte in the gap before it", i)
						break
					}
				}
				prevEnd = s.End
				total += s.Entries
			}
			if !reflect.DeepEqual(codecs, tc.codecs) || !reflect.DeepEqual(arch, tc.arch) {
				t.Fatalf("codecs %q archives %v, want %q %v", codecs, arch, tc.codecs, tc.arch)
			}
			if total != len(im.Entries) {
				t.Fatalf("segments count %d entries, image has %d", total, len(im.Entries))
			}
			for _, e := range im.Entries {
				if e.Segment < 0 || e.Segment >= len(im.Segments) {
					t.Fatalf("entry %+v in no segment", e)
				}
			}
		})
	}
}

func TestReadCompressedSegmentSizes(t *testing.T) {
	main := archive(dir("."), file("init", strings.Repeat("x", 1000)))
	z := zst(t, main)
	img := cat(zeros(8), z, zeros(4))
	im := mustRead(t, img, Options{})
	wantWhole(t, im)
	s := im.Segments[0]
	if s.Offset != 8 || s.End != int64(8+len(z)) || s.DecompressedSize != int64(len(main)) || s.Entries != 2 {
		t.Fatalf("segment %+v; member %d bytes, cpio %d", s, len(z), len(main))
	}
	if e, _ := im.Has("init"); e.Offset != 112 || e.Segment != 0 {
		t.Fatalf("init entry %+v: want offset 112 in the decompressed data", e)
	}
}

func TestHardLinks(t *testing.T) {
	// GNU cpio writes the data with the last member of a group.
	img := archive(dir("bin"), hardlink("bin/a", "", 7), hardlink("bin/b", "", 7), hardlink("bin/c", "payload", 7), file("after", "z"))
	im := mustRead(t, img, Options{Keep: func(p string) bool { return strings.HasPrefix(p, "bin/") }})
	wantWhole(t, im)
	for _, p := range []string{"bin/a", "bin/b", "bin/c"} {
		e, ok := im.Has(p)
		if !ok || e.Size != 7 {
			t.Errorf("%s: %+v, want size 7", p, e)
		}
		if got := string(im.Files[p]); got != "payload" {
			t.Errorf("%s content %q, want payload", p, got)
		}
	}
	if b, _ := im.Has("bin/b"); b.HardLink != "bin/a" {
		t.Errorf("bin/b hardlink %q, want bin/a", b.HardLink)
	}
	if a, _ := im.Has("bin/a"); a.HardLink != "" {
		t.Errorf("bin/a is the first of its group, hardlink %q", a.HardLink)
	}
	// Data on the first member: later members share it.
	img = archive(hardlink("x", "data", 9), hardlink("y", "", 9))
	im = mustRead(t, img, Options{Keep: func(string) bool { return true }})
	wantWhole(t, im)
	if string(im.Files["y"]) != "data" {
		t.Errorf("y content %q", im.Files["y"])
	}
	if y, _ := im.Has("y"); y.Size != 4 || y.HardLink != "x" {
		t.Errorf("y %+v", y)
	}
	// A trailer ends the group: the same inode in the next archive is new.
	img = cat(archive(hardlink("x", "data", 9)), archive(hardlink("y", "", 9)))
	im = mustRead(t, img, Options{})
	if y, _ := im.Has("y"); y.HardLink != "" || y.Size != 0 {
		t.Errorf("y across archives %+v", y)
	}
}

func TestCRCFormat(t *testing.T) {
	good := crcArchive(dir("."), file("init", "#!/bin/sh\necho hi\n"), file("empty", ""))
	im := mustRead(t, good, Options{})
	wantWhole(t, im)
	if len(im.Entries) != 3 {
		t.Fatalf("entries %q", paths(im))
	}
	// Every single-byte change in a file's data is caught.
	dataStart := bytes.Index(good, []byte("#!/bin/sh"))
	for i := dataStart; i < dataStart+len("#!/bin/sh\necho hi\n"); i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0x20
		im := mustRead(t, bad, Options{})
		wantProblem(t, im, Corrupt, "checksum", `"init"`, "cpio header at offset 112 in segment 0 (uncompressed)")
	}
	// The same archive in a compressed member.
	bad := bytes.Clone(good)
	bad[dataStart] = 'X'
	im = mustRead(t, zst(t, bad), Options{})
	wantProblem(t, im, Corrupt, "checksum", "zstd")
}

func TestHostileHeaders(t *testing.T) {
	base := archive(file("init", "x"))
	setField := func(b []byte, field, v string) []byte {
		b = bytes.Clone(b)
		copy(b[fieldOffset(field):], v)
		return b
	}
	cases := []struct {
		name string
		img  []byte
		kind ProblemKind
		msg  []string
	}{
		{"non-hex filesize", setField(base, "filesize", "0000000G"), Corrupt, []string{"filesize", `"0000000G"`, "not 8 hexadecimal digits", "offset 0 in segment 0"}},
		{"non-hex mode", setField(base, "mode", "-0000001"), Corrupt, []string{"mode"}},
		{"space in namesize", setField(base, "namesize", "       5"), Corrupt, []string{"namesize"}},
		{"huge namesize", setField(base, "namesize", "FFFFFFFF"), Corrupt, []string{"namesize 4294967295", "PATH_MAX"}},
		{"namesize just over PATH_MAX", setField(base, "namesize", "00001001"), Corrupt, []string{"namesize 4097"}},
		{"zero namesize", setField(base, "namesize", "00000000"), Corrupt, []string{"namesize is 0"}},
		{"huge filesize", setField(base, "filesize", "FFFFFFFF"), Truncated, []string{`data of "init" needs 4294967295 bytes`}},
		{"name without NUL", setField(base, "namesize", "00000004"), Corrupt, []string{"does not end with NUL"}},
		{"bad magic", append([]byte("0707x1"), base[6:]...), Corrupt, []string{`bad magic "0707x1", want 070701 or 070702`, "cpio header at offset 0 in segment 0"}},
		{"old binary format", append([]byte("070707"), base[6:]...), Corrupt, []string{"-H newc"}},
		{"dir with data", archive(ent{name: "d", mode: ModeDir | 0o755, data: "abcd"}), Corrupt, []string{"directory", "not created"}},
		{"unknown type", archive(ent{name: "w", mode: 0o644}), Corrupt, []string{"file type"}},
		{"long symlink target", archive(symlink("l", strings.Repeat("a", 4097))), Corrupt, []string{"PATH_MAX"}},
		{"empty symlink target", archive(symlink("l", "")), Corrupt, []string{"empty target"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			im := mustRead(t, tc.img, Options{})
			wantProblem(t, im, tc.kind, tc.msg...)
		})
	}
}

func TestTruncatedEveryOffset(t *testing.T) {
	// An image of every layout, small enough to cut at every byte.
	full := cat(
		archive(dir("kernel"), file("kernel/ucode", "u")),
		zeros(8),
		crcArchive(file("c", "crc")),
		gz(t, archive(dir("."), file("init", "#!/bin/sh\n"), symlink("bin", "usr/bin"))),
		zst(t, cat(archive(file("a", "A")), archive(hardlink("h1", "", 3), hardlink("h2", "hh", 3)))),
		zeros(7),
	)
	ref := mustRead(t, full, Options{})
	wantWhole(t, ref)
	for cut := 0; cut < len(full); cut++ {
		im := mustRead(t, full[:cut], Options{})
		// Whole is only right when the cut removed only zero padding after
		// some segment's end (or the whole image).
		okCut := false
		var before int
		for _, s := range ref.Segments {
			if s.End <= int64(cut) && allZero(full[s.End:cut]) {
				okCut = true
			}
			if s.End <= int64(cut) {
				before += s.Entries
			}
		}
		if im.Whole() != okCut {
			t.Fatalf("cut at %d: whole=%v, want %v (problems %+v)", cut, im.Whole(), okCut, im.Problems)
		}
		if im.Whole() && strings.Join(paths(im), " ") != strings.Join(paths(ref)[:before], " ") {
			t.Fatalf("cut at %d: whole with entries %q, want %q", cut, paths(im), paths(ref)[:before])
		}
		if !im.Whole() {
			p := im.Problems[0]
			if p.Kind != Truncated && p.Kind != Corrupt {
				t.Fatalf("cut at %d: problem %+v", cut, p)
			}
			if p.Offset > int64(cut) || p.Offset < 0 {
				t.Fatalf("cut at %d: problem offset %d outside the input", cut, p.Offset)
			}
		}
	}
}

// alignTo4 appends zero padding up to a multiple of 4.
func alignTo4(b []byte) []byte { return cat(b, zeros(int(pad4(int64(len(b)))))) }

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestJunk(t *testing.T) {
	a := archive(file("x", "1"))
	cases := []struct {
		name string
		img  []byte
		msg  []string
	}{
		{"junk after last segment", cat(a, []byte("garbage!")), []string{fmt.Sprintf("junk at offset %d after segment 0", len(a)), "67 61 72 62"}},
		{"junk at start", []byte("hello world"), []string{"junk at offset 0 at the start of the image"}},
		{"cpio at unaligned offset", cat(a, zeros(1), a), []string{"multiple of 4"}},
		{"junk after compressed member", cat(gz(t, a), []byte{0xff}), []string{"after segment 0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, mustRead(t, tc.img, Options{}), Corrupt, tc.msg...)
			if p.Segment != -1 {
				t.Errorf("junk outside a segment reported in segment %d", p.Segment)
			}
		})
	}
	// Inside a member, bytes after an archive that are not a header.
	im := mustRead(t, zst(t, cat(a, []byte("xyz!"))), Options{})
	wantProblem(t, im, Corrupt, "junk in the decompressed data", "zstd")
	// An archive with no trailer, inside a member and at the end of the image.
	noTrailer := rawEntry(magicNewc, file("x", "1"))
	wantProblem(t, mustRead(t, zst(t, noTrailer), Options{}), Corrupt, "has no TRAILER!!!")
	wantProblem(t, mustRead(t, noTrailer, Options{}), Truncated, "has no TRAILER!!!")
	wantProblem(t, mustRead(t, cat(noTrailer, gz(t, a)), Options{}), Corrupt, "has no TRAILER!!!", "byte 0x1f")
	// Before the first entry the kernel wants a cpio header: a first member
	// that is empty or starts with zero padding fails; after an entry the
	// same member is fine.
	wantProblem(t, mustRead(t, gz(t, nil), Options{}), Corrupt, "decompresses to nothing")
	wantProblem(t, mustRead(t, zst(t, cat(zeros(4), a)), Options{}), Corrupt, "no cpio magic", "decompressed offset 0 in segment 0 (zstd")
	wantWhole(t, mustRead(t, cat(a, gz(t, nil), zst(t, cat(zeros(4), a))), Options{}))
	// An empty input, or zero padding alone, holds nothing to boot.
	wantProblem(t, mustRead(t, nil, Options{}), Truncated, "the image is empty (0 bytes)")
	wantProblem(t, mustRead(t, zeros(100), Options{}), Truncated, "only 100 bytes of zero padding", "empty")
}

func TestDecompressionBomb(t *testing.T) {
	big := archive(file("big", strings.Repeat("\x00", 1<<20)))
	img := gz(t, big)
	im := mustRead(t, img, Options{MaxDecompressed: 64 << 10})
	wantProblem(t, im, TooLarge, "65536", "MaxDecompressed")
	// Exactly at the limit is fine.
	im = mustRead(t, img, Options{MaxDecompressed: int64(len(big))})
	wantWhole(t, im)
	im = mustRead(t, img, Options{MaxDecompressed: int64(len(big)) - 1})
	wantProblem(t, im, TooLarge)
}

func TestUnsupportedCompression(t *testing.T) {
	// A zstd frame asking for a 2 TiB window: decodable by no one here.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x01, 0x00, 0x00}
	im := mustRead(t, cat(archive(file("a", "1")), frame), Options{})
	p := wantProblem(t, im, Unsupported, "segment 1", "zstd")
	if p.Segment != 1 || im.Segments[1].Compression != "zstd" {
		t.Fatalf("problem %+v segments %+v", p, im.Segments)
	}
}

func TestThroughAPipe(t *testing.T) {
	img := cat(archive(file("early", "e")), zeros(4), zst(t, archive(dir("."), file("init", strings.Repeat("i", 100000)))))
	pr, pw := io.Pipe()
	go func() {
		// Dribble it out in odd sizes, as a pipe would.
		for i := 0; i < len(img); i += 777 {
			if _, err := pw.Write(img[i:min(i+777, len(img))]); err != nil {
				return
			}
		}
		pw.Close()
	}()
	im, err := Read(context.Background(), pr, Options{Keep: func(p string) bool { return p == "init" }})
	if err != nil {
		t.Fatal(err)
	}
	wantWhole(t, im)
	if len(im.Files["init"]) != 100000 || len(im.Entries) != 3 {
		t.Fatalf("entries %q, init %d bytes", paths(im), len(im.Files["init"]))
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestIOErrorIsAnError(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, img := range [][]byte{archive(file("x", "12345678")), gz(t, archive(file("x", "12345678")))} {
		for cut := 0; cut < len(img); cut += 7 {
			im, err := Read(context.Background(), &failingReader{data: img[:cut], err: boom}, Options{})
			if !errors.Is(err, boom) || im != nil {
				t.Fatalf("cut %d: got %v, %v; want the I/O error and no image", cut, im, err)
			}
		}
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	im, err := Read(ctx, bytes.NewReader(archive(file("x", "1"))), Options{})
	if !errors.Is(err, context.Canceled) || im != nil {
		t.Fatalf("got %v, %v", im, err)
	}
}

func TestKeep(t *testing.T) {
	img := zst(t, archive(dir("."), symlink("lib", "usr/lib"), dir("usr"), dir("usr/lib"), dir("usr/lib/modules"), dir("usr/lib/modules/6.1.0"),
		file("usr/lib/modules/6.1.0/modules.dep", "kernel/a.ko:\n"), file("etc/big", strings.Repeat("b", 100)),
		file("etc/small", "s")))
	im := mustRead(t, img, Options{
		Keep:        func(p string) bool { return p == "lib/modules/6.1.0/modules.dep" || strings.HasPrefix(p, "etc/") },
		MaxFileSize: 50,
	})
	wantWhole(t, im)
	if b, ok := im.File("lib/modules/6.1.0/modules.dep"); !ok || string(b) != "kernel/a.ko:\n" {
		t.Fatalf("modules.dep through lib -> usr/lib: %q %v", b, ok)
	}
	if _, ok := im.Has("/lib/modules/6.1.0/modules.dep"); !ok {
		t.Fatal("Has does not follow lib -> usr/lib")
	}
	if _, ok := im.Files["etc/big"]; ok || !strings.Contains(im.NotKept["etc/big"], "over MaxFileSize 50") {
		t.Fatalf("etc/big kept %v, not-kept %q", ok, im.NotKept["etc/big"])
	}
	if string(im.Files["etc/small"]) != "s" {
		t.Fatal("etc/small not kept")
	}
	if len(im.Files) != 2 {
		t.Fatalf("kept %d files, want 2", len(im.Files))
	}
}

func TestHasSymlinkLoops(t *testing.T) {
	im := mustRead(t, archive(symlink("a", "b"), symlink("b", "a"), symlink("c", "/d/../e"), dir("e"), file("e/f", "")), Options{})
	if _, ok := im.Has("a/x"); ok {
		t.Fatal("found a path through a symlink loop")
	}
	// The kernel walks "/d/.." component by component: with no d, c leads
	// nowhere.
	if _, ok := im.Has("c/f"); ok {
		t.Fatal("c/f found through /d/.. though there is no d")
	}
	withD := mustRead(t, archive(symlink("c", "/d/../e"), dir("d"), dir("e"), file("e/f", "")), Options{})
	if _, ok := withD.Has("c/f"); !ok {
		t.Fatal("c/f through an absolute symlink not found")
	}
	if _, ok := im.Has("."); ok {
		t.Fatal("root found though the image has no . entry")
	}
}

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	// The first file's size is not a multiple of 4: the boot loader pads it.
	early := cat(archive(file("kernel/x86/microcode/GenuineIntel.bin", "uc")), zeros(1))
	main := cat(archive(file("x", "1")), gz(t, archive(dir2("."), file("init", "i"))))
	a := filepath.Join(dir, "early.img")
	b := filepath.Join(dir, "main.img")
	os.WriteFile(a, early, 0o644)
	os.WriteFile(b, main, 0o644)
	im, err := ReadFiles(context.Background(), []string{a, b}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantWhole(t, im)
	if len(im.Inputs) != 2 || im.Inputs[1].Offset != int64(len(early)+3) {
		t.Fatalf("inputs %+v", im.Inputs)
	}
	if s := im.Segments[2]; s.File != b || s.FileOffset != int64(len(main)-len(gz(t, archive(dir2("."), file("init", "i"))))) || s.Compression != "gzip" {
		t.Fatalf("segment %+v", s)
	}
	if im.Size != int64(len(early)+3+len(main)) {
		t.Fatalf("size %d", im.Size)
	}
	// A problem in the second file names it.
	os.WriteFile(b, main[:len(main)-3], 0o644)
	im, err = ReadFiles(context.Background(), []string{a, b}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, im, Truncated, "main.img offset")
	if _, err := ReadFiles(context.Background(), []string{a, filepath.Join(dir, "missing")}, Options{}); err == nil {
		t.Fatal("no error for a missing file")
	}
}

func dir2(name string) ent { return dir(name) }

func TestWalk(t *testing.T) {
	img := cat(archive(file("a", "1")), zst(t, archive(file("b", "2"), file("c", "3"))))
	var got []string
	im, err := Walk(context.Background(), bytes.NewReader(img), Options{}, func(e Entry) error {
		got = append(got, e.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantWhole(t, im)
	if !reflect.DeepEqual(got, []string{"a", "b", "c"}) || im.Entries != nil {
		t.Fatalf("walked %q, entries %v", got, im.Entries)
	}
	stop := errors.New("stop")
	im, err = Walk(context.Background(), bytes.NewReader(img), Options{}, func(e Entry) error { return stop })
	if !errors.Is(err, stop) || im != nil {
		t.Fatalf("got %v, %v", im, err)
	}
}

func TestHostileSizesDoNotAllocate(t *testing.T) {
	// Headers claiming a 16 MiB kept file and a 64 MiB module, with a few
	// bytes of data behind them: the reader must not allocate what they
	// claim before the data is there.
	mk := func(name string, size uint32) []byte {
		h := header{Mode: ModeRegular | 0o644, Nlink: 1, FileSize: size, NameSize: uint32(len(name) + 1)}
		b := append(rawHeader(magicNewc, h), name...)
		b = append(b, 0)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return append(b, "short"...)
	}
	for _, img := range [][]byte{mk("etc/kept", uint32(DefaultMaxFileSize)), mk("lib/modules/6.1/m.ko", uint32(MaxModuleSize))} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		im := mustRead(t, img, Options{Keep: func(string) bool { return true }})
		runtime.ReadMemStats(&after)
		wantProblem(t, im, Truncated)
		if d := after.TotalAlloc - before.TotalAlloc; d > 2<<20 {
			t.Errorf("reading %d bytes allocated %d bytes", len(img), d)
		}
	}
}

// TestHardLinkedModules pins the layout of a real dracut image (found by the
// e2e suite): dracut links identical files, and newc carries a group's data
// on its last member, so crct10dif_common.ko was a zero-size link whose bytes
// came with crct10dif_common.ko.dpkg-tmp. The kernel writes that data into
// the shared inode; the module is whole and its .modinfo must be read.
func TestHardLinkedModules(t *testing.T) {
	const dir = "usr/lib/modules/6.1.0-9-amd64/kernel/crypto/"
	mod := string(elfModule("vermagic=6.1.0-9-amd64 SMP preempt mod_unload modversions ", "depends="))
	cases := []struct {
		name string
		img  []byte
		want []string // module paths that must read as whole modules
	}{
		{"data on a non-module last member", archive(
			hardlink(dir+"crct10dif_common.ko", "", 5),
			hardlink(dir+"crct10dif_common.ko.dpkg-new", "", 5),
			hardlink(dir+"crct10dif_common.ko.dpkg-tmp", mod, 5)),
			[]string{dir + "crct10dif_common.ko"}},
		{"data first, module links after", archive(
			hardlink(dir+"a.ko", mod, 6),
			hardlink(dir+"b.ko", "", 6)),
			[]string{dir + "a.ko", dir + "b.ko"}},
		{"two module names, data on the last", archive(
			hardlink(dir+"a.ko", "", 8),
			hardlink(dir+"b.ko", mod, 8)),
			[]string{dir + "a.ko", dir + "b.ko"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			im := mustRead(t, tc.img, Options{})
			wantWhole(t, im)
			got := map[string]Module{}
			for _, m := range im.Modules {
				got[m.Path] = m
			}
			for _, p := range tc.want {
				m, ok := got[p]
				if !ok {
					t.Fatalf("module %s not found; modules %+v", p, im.Modules)
				}
				if m.Err != nil || m.Vermagic == "" || m.KernelVersion != "6.1.0-9-amd64" {
					t.Errorf("module %s: %+v, want its .modinfo read from the group's data", p, m)
				}
			}
		})
	}
	// A group that never carries data is an empty module: recorded, broken.
	im := mustRead(t, archive(hardlink(dir+"empty.ko", "", 11), hardlink(dir+"empty2.ko", "", 11)), Options{})
	if len(im.Modules) != 2 {
		t.Fatalf("modules %+v, want both empty links recorded", im.Modules)
	}
	for _, m := range im.Modules {
		if m.Err == nil {
			t.Errorf("module %s with no data read without error", m.Path)
		}
	}
}
