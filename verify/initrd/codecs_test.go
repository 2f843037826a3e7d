package initrd

import (
	"bytes"
	"slices"
	"testing"

	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

func xzc(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	// The kernel's xz decoder knows CRC32 and no check; mkinitramfs uses
	// --check=crc32.
	w, err := xz.WriterConfig{CheckSum: xz.CRC32}.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	return compress(t, &out, w, b)
}

func lzmac(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := lzma.WriterConfig{SizeInHeader: true, Size: int64(len(b))}.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	return compress(t, &out, w, b)
}

// lz4c writes lz4's legacy frame, the only one the kernel reads.
func lz4c(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := lz4.NewWriter(&out)
	if err := w.Apply(lz4.LegacyOption(true)); err != nil {
		t.Fatal(err)
	}
	return compress(t, &out, w, b)
}

// TestEveryCodec reads an early archive, then a member of each codec Go can
// write, then another member and zero padding: the reader must stop each
// member at its exact end and find the next one.
func TestEveryCodec(t *testing.T) {
	early := archive(file("kernel/x86/microcode/GenuineIntel.bin", "ucode"))
	main := archive(dir("."), file("init", "#!/bin/sh\n"), file("usr/lib/big", string(bytes.Repeat([]byte("initramfs "), 100000))))
	next := archive(file("conf/extra", "x"))
	codecs := []struct {
		name string
		enc  func(testing.TB, []byte) []byte
	}{
		{"gzip", gz}, {"zstd", zst}, {"xz", xzc}, {"lz4", lz4c},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			member := c.enc(t, main)
			// lz4's legacy frame has no end marker: zero padding or the
			// end of the image ends it, so it goes last.
			img := cat(early, gz(t, next), zeros(3), member, zeros(4))
			if c.name != "lz4" {
				img = cat(early, member, zst(t, next), zeros(8))
			}
			im := mustRead(t, img, Options{})
			wantWhole(t, im)
			var seg Segment
			for _, s := range im.Segments {
				if s.Compression == c.name && s.CompressedSize == int64(len(member)) {
					seg = s
				}
			}
			if seg.DecompressedSize != int64(len(main)) || seg.Entries != 3 || seg.Archives != 1 {
				t.Fatalf("no %s segment of %d bytes decompressing to %d: %+v", c.name, len(member), len(main), im.Segments)
			}
			if len(im.Entries) != 5 {
				t.Fatalf("entries %q", paths(im))
			}
			// Cut anywhere inside the member: never whole.
			start := bytes.Index(img, member)
			for _, cut := range []int{1, 2, len(member) / 2, len(member) - 1} {
				im := mustRead(t, img[:start+cut], Options{})
				if im.Whole() {
					t.Fatalf("member cut after %d of %d bytes reads whole", cut, len(member))
				}
			}
		})
	}
}

// TestEveryCodecTruncated cuts a small member of each codec at every byte:
// the image is never whole, except where the format itself cannot tell
// (lz4's legacy frame ends wherever the input ends between blocks, so a cut
// right after its 4-byte magic leaves a valid empty member, which the kernel
// unpacks in full too).
func TestEveryCodecTruncated(t *testing.T) {
	early := archive(file("kernel/x86/microcode/GenuineIntel.bin", "ucode"))
	main := archive(dir("."), file("init", "#!/bin/sh\nexec /sbin/init\n"))
	codecs := []struct {
		name string
		enc  func(testing.TB, []byte) []byte
		ends []int // cuts after which the member is legitimately whole
	}{
		{"gzip", gz, nil}, {"zstd", zst, nil}, {"xz", xzc, nil}, {"lz4", lz4c, []int{4}},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			member := c.enc(t, main)
			img := cat(early, member)
			wantWhole(t, mustRead(t, img, Options{}))
			for cut := 1; cut < len(member); cut++ {
				im := mustRead(t, img[:len(early)+cut], Options{})
				if im.Whole() && !slices.Contains(c.ends, cut) {
					t.Fatalf("member cut after %d of %d bytes reads whole: %q", cut, len(member), paths(im))
				}
			}
		})
	}
}
