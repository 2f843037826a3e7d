package decomp

import (
	"testing"
)

// TestSizeHint: the decoded length a module file's format records, and 0
// where it records none or the bytes are not what the format says.
func TestSizeHint(t *testing.T) {
	data := payload(300_000, 7)
	xzMember := xzEnc(xzCRC32)(t, data)
	for _, tc := range []struct {
		name string
		raw  []byte
		want int64
	}{
		{"m.ko.gz", gzipEnc(t, data), int64(len(data))},
		{"m.ko.zst", zstdEnc(t, data), int64(len(data))},
		{"m.ko.zst", zstdEnc(t, data[:100]), 0},                                          // the encoder records no Frame_Content_Size
		{"m.ko.zst", []byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 100, 0, 0}, 100},               // single segment: a one-byte one
		{"m.ko.zst", zstdEnc(t, data[:1000]), 1000},                                      // two bytes, less 256
		{"m.ko.xz", xzMember, int64(len(data))},                                          // the index's one record
		{"m.ko.xz", append(xzMember, 0, 0, 0, 0), int64(len(data))},                      // stream padding
		{"m.ko.xz", append(xzEnc(xzCRC32)(t, data[:10]), xzMember...), int64(len(data))}, // the last stream's
		{"m.ko", data, 0},
		{"m.ko.zst", gzipEnc(t, data), 0},
		{"m.ko.xz", xzMember[:len(xzMember)-1], 0},
		{"m.ko.xz", append(append([]byte{}, xzMember[:len(xzMember)-8]...), 0xff, 0xff, 0xff, 0x7f, 0, 1, 'Y', 'Z'), 0}, // Backward Size past the start
		{"m.ko.zst", []byte{0x28, 0xb5, 0x2f, 0xfd, 0xc0}, 0},                                                           // cut inside its header
		{"m.ko.gz", []byte{0x1f, 0x8b}, 0},
	} {
		if got := SizeHint(tc.name, tc.raw); got != tc.want {
			t.Errorf("SizeHint(%s, %d bytes) = %d, want %d", tc.name, len(tc.raw), got, tc.want)
		}
	}
}
