package decomp

import (
	"hash/adler32"
	"testing"
)

// TestAdler32 matches hash/adler32 at every length around the 8-byte steps
// and the 5552-byte reduction, and on all-0xff bytes (the largest sums).
func TestAdler32(t *testing.T) {
	data := payload(20000, 11)
	ff := make([]byte, 20000)
	for i := range ff {
		ff[i] = 0xff
	}
	for _, p := range [][]byte{data, ff} {
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 5551, 5552, 5553, 5560, 11104, 11111, 20000} {
			if got, want := adler32Sum(p[:n]), adler32.Checksum(p[:n]); got != want {
				t.Fatalf("adler32Sum of %d bytes = %08x, want %08x", n, got, want)
			}
		}
	}
}
