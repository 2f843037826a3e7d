package initrd

import (
	"bytes"
	"maps"
	"slices"
	"testing"
)

// TestSingleByteCorruption flips every bit pattern of every byte of a
// checksummed member, one byte at a time. A flip may land on bits a format
// does not use (gzip's mtime, FTEXT flag and OS byte, an unused weight in a
// zstd Huffman table): then the image may be whole, but only if it unpacks
// to exactly the same entries and bytes. Any flip that changes what the
// kernel would unpack must be caught.
func TestSingleByteCorruption(t *testing.T) {
	payload := archive(dir("."), file("init", "#!/bin/sh\nexec /sbin/init\n"), file("etc/fstab", "UUID=1234 / ext4 defaults 0 1\n"))
	early := archive(file("kernel/x86/microcode/AuthenticAMD.bin", "ucode"))
	keepAll := Options{Keep: func(string) bool { return true }}
	cases := []struct {
		name   string
		member []byte
	}{
		{"gzip", gz(t, payload)},
		{"zstd", zst(t, payload)},
		{"crc cpio in zstd", zst(t, crcArchive(dir("."), file("init", "#!/bin/sh\nexec /sbin/init\n")))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref := mustRead(t, cat(early, tc.member), keepAll)
			wantWhole(t, ref)
			caught, harmless := 0, 0
			for i := range tc.member {
				for _, mask := range []byte{0x01, 0x10, 0x80, 0xff} {
					bad := cat(early, tc.member)
					bad[len(early)+i] ^= mask
					im := mustRead(t, bad, keepAll)
					if !im.Whole() {
						caught++
						continue
					}
					if !slices.Equal(im.Entries, ref.Entries) || !maps.EqualFunc(im.Files, ref.Files, bytes.Equal) {
						t.Fatalf("byte %d of %d ^%#x: whole, but unpacks to %q", i, len(tc.member), mask, paths(im))
					}
					harmless++
				}
			}
			t.Logf("%d flips caught, %d changed nothing the kernel unpacks", caught, harmless)
		})
	}
}
