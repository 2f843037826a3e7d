package decomp

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"
)

// bzip2Inputs are payloads that reach the decoder's corners: the empty
// stream, one byte, runs around the final run-length stage's limits (4
// equal bytes, then a count up to 255), every byte value, incompressible
// bytes, and more than one block at -1.
func bzip2Inputs() map[string][]byte {
	rng := rand.New(rand.NewSource(16))
	random := make([]byte, 150<<10)
	rng.Read(random)
	var runs []byte
	for n := 1; n < 700; n += 1 + n/8 {
		runs = append(runs, bytes.Repeat([]byte{byte(n)}, n)...)
	}
	all := make([]byte, 256*3)
	for i := range all {
		all[i] = byte(i)
	}
	return map[string][]byte{
		"empty":      nil,
		"one":        {'x'},
		"run4":       []byte("aaaa"),
		"run259":     bytes.Repeat([]byte{'r'}, 259),
		"run260":     bytes.Repeat([]byte{'r'}, 260),
		"runs":       runs,
		"all-bytes":  all,
		"random":     random,
		"multiblock": payload(350<<10, 3),
		"text":       []byte(strings.Repeat("the quick brown fox jumps over the lazy dog\n", 5000)),
	}
}

// TestBzip2MatchesStdlib: on members the real bzip2 tool writes, at every
// level, this package's decoder gives compress/bzip2's bytes and ends the
// member on its last byte.
func TestBzip2MatchesStdlib(t *testing.T) {
	for name, data := range bzip2Inputs() {
		for _, level := range []string{"-1", "-5", "-9"} {
			t.Run(name+level, func(t *testing.T) {
				m := cliEnc("bzip2", "-c", level)(t, data)
				want, err := io.ReadAll(bzip2.NewReader(bytes.NewReader(m)))
				if err != nil || !bytes.Equal(want, data) {
					t.Fatalf("compress/bzip2: %d bytes, %v", len(want), err)
				}
				img := append(append([]byte{}, m...), "after"...)
				got, s, err := decode(Bzip2, img, 1<<24)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("decoded %d bytes differing from compress/bzip2's %d", len(got), len(want))
				}
				if s.Offset() != int64(len(m)) {
					t.Fatalf("member ends at %d, want %d", s.Offset(), len(m))
				}
			})
		}
	}
}

// TestBzip2Corrupt: each check the kernel makes fails the member where it
// is, as corruption.
func TestBzip2Corrupt(t *testing.T) {
	m := cliEnc("bzip2", "-c", "-9")(t, payload(20<<10, 5))
	tests := []struct {
		name string
		edit func(b []byte)
		want string
	}{
		{"block CRC", func(b []byte) { b[10] ^= 1 }, "block CRC"},
		// The combined CRC ends at most 7 bits before the end, so bit 0 of
		// the second-last byte is in it.
		{"stream CRC", func(b []byte) { b[len(b)-2] ^= 1 }, "stream CRC"},
		{"randomised", func(b []byte) { b[14] |= 0x80 }, "randomised"},
		{"block magic", func(b []byte) { b[4] ^= 0x40 }, "block magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte{}, m...)
			tt.edit(b)
			_, _, err := decode(Bzip2, b, 1<<24)
			me := checkMemberError(t, err, Bzip2, len(b))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v (offset %d), want corruption naming %q", err, me.Offset, tt.want)
			}
		})
	}
}

// FuzzBzip2 compares this package's decoder with compress/bzip2 on
// arbitrary bytes: whatever member this package accepts, compress/bzip2
// decodes (its bytes up to the member's end) to the same output, and a
// single stream compress/bzip2 accepts is accepted here too.
func FuzzBzip2(f *testing.F) {
	if m := fuzzSeeds(f)[Bzip2]; len(m) > 20 {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 4 << 20
		got, s, err := decode(Bzip2, data, limit)
		want, werr := io.ReadAll(io.LimitReader(bzip2.NewReader(bytes.NewReader(data[:s.Offset()])), limit))
		if err == nil {
			if werr != nil || !bytes.Equal(got, want) {
				t.Fatalf("accepted %d bytes of output; compress/bzip2 gives %d bytes, %v", len(got), len(want), werr)
			}
			return
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "output limit") {
			return
		}
		checkFuzzErr(t, err, Bzip2, len(data))
		if _, werr := io.ReadAll(io.LimitReader(bzip2.NewReader(bytes.NewReader(data)), limit)); werr == nil {
			t.Fatalf("refused (%v), but compress/bzip2 decodes it", err)
		}
	})
}

// TestBzip2CRC: the four-bytes-a-step CRC equals the bit-by-bit definition
// (polynomial 0x04c11db7, most significant bit first) at every length and
// split.
func TestBzip2CRC(t *testing.T) {
	data := payload(1000, 9)
	slow := func(crc uint32, p []byte) uint32 {
		for _, b := range p {
			crc ^= uint32(b) << 24
			for range 8 {
				if crc&0x80000000 != 0 {
					crc = crc<<1 ^ 0x04c11db7
				} else {
					crc <<= 1
				}
			}
		}
		return crc
	}
	for n := 0; n < 40; n++ {
		for split := 0; split <= n; split += 3 {
			got := bzip2CRC(bzip2CRC(0xffffffff, data[:split]), data[split:n])
			if want := slow(0xffffffff, data[:n]); got != want {
				t.Fatalf("CRC of %d bytes split at %d: %08x, want %08x", n, split, got, want)
			}
		}
	}
}
