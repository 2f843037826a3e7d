package decomp

import (
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"testing"
)

// lzoEncode is a small greedy LZO1X encoder for tests: literal runs and
// matches in the 32..63 form (distance up to 16 KiB), ending with 11 00 00.
// It exercises the decoder's literal, match, state and length-extension
// paths with a stream whose meaning is known.
func lzoEncode(src []byte) []byte {
	var out []byte
	extLen := func(v int) { // v >= 1: 255 per zero byte, then the rest
		for v > 255 {
			out = append(out, 0)
			v -= 255
		}
		out = append(out, byte(v))
	}
	longLiteral := func(lit []byte) { // state 0 form, len >= 4
		n := len(lit)
		if n-3 <= 15 {
			out = append(out, byte(n-3))
		} else {
			out = append(out, 0)
			extLen(n - 18)
		}
		out = append(out, lit...)
	}
	table := map[uint32]int{}
	lit := 0        // start of the pending literal run
	first := true   // nothing emitted yet
	lastMatch := -1 // index in out of the last match's distance low byte
	flushLiterals := func(end int) {
		run := src[lit:end]
		switch {
		case len(run) == 0:
		case first && len(run) <= 238:
			out = append(out, byte(17+len(run)))
			out = append(out, run...)
		case first || len(run) >= 4:
			if lastMatch >= 0 && len(run) <= 3 {
				panic("unreachable")
			}
			longLiteral(run)
		default: // 1..3 after a match: in its S bits
			out[lastMatch] |= byte(len(run))
			out = append(out, run...)
		}
		first = false
	}
	i := 0
	for i+4 <= len(src) {
		key := binary.LittleEndian.Uint32(src[i:])
		cand, ok := table[key]
		table[key] = i
		if !ok || i-cand > 16384 || i == 0 || (first && i-lit == 0) {
			i++
			continue
		}
		n := 0
		for i+n < len(src) && src[cand+n] == src[i+n] {
			n++
		}
		if i == lit && lastMatch < 0 {
			i++
			continue
		}
		flushLiterals(i)
		dist := i - cand
		if n-2 <= 31 {
			out = append(out, byte(32|(n-2)))
		} else {
			out = append(out, 32)
			extLen(n - 33)
		}
		out = append(out, byte((dist-1)<<2), byte((dist-1)>>6))
		lastMatch = len(out) - 2
		i += n
		lit = i
	}
	flushLiterals(len(src))
	return append(out, 0x11, 0, 0)
}

// lzopEnc builds an lzop container by hand with blocks of blockSize, each
// LZO-compressed by lzoEncode (or stored when that is not smaller), with
// the adler32 or crc32 of its uncompressed bytes.
func lzopEnc(blockSize int, useCRC bool) func(t testing.TB, data []byte) []byte {
	return func(t testing.TB, data []byte) []byte {
		flags := uint32(lzopAdler32D)
		if useCRC {
			flags = lzopCRC32D
		}
		h := []byte{0x10, 0x40, 0x20, 0xa0, 0x09, 0x40, 3, 9}
		h = binary.BigEndian.AppendUint32(h, flags|0x03000000)
		h = binary.BigEndian.AppendUint32(h, 0o100644)
		h = binary.BigEndian.AppendUint32(h, 1700000000)
		h = binary.BigEndian.AppendUint32(h, 0)
		h = append(h, 4)
		h = append(h, "boot"...)
		h = binary.BigEndian.AppendUint32(h, adler32.Checksum(h))
		out := append(append([]byte{}, lzopMagic[:]...), h...)
		for len(data) > 0 {
			blk := data[:min(blockSize, len(data))]
			data = data[len(blk):]
			c := lzoEncode(blk)
			// Check the encoder against the decoder before trusting it.
			back := make([]byte, len(blk))
			if _, err := lzo1xDecompress(c, back); err != nil || !bytes.Equal(back, blk) {
				t.Fatalf("test encoder produced a bad block: %v", err)
			}
			if len(c) >= len(blk) {
				c = blk
			}
			sum := adler32.Checksum(blk)
			if useCRC {
				sum = crc32.ChecksumIEEE(blk)
			}
			out = binary.BigEndian.AppendUint32(out, uint32(len(blk)))
			out = binary.BigEndian.AppendUint32(out, uint32(len(c)))
			out = binary.BigEndian.AppendUint32(out, sum)
			out = append(out, c...)
		}
		return binary.BigEndian.AppendUint32(out, 0)
	}
}

func TestLZO1X(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
		bad  bool
	}{
		{"first-byte literals", []byte{17 + 5, 'h', 'e', 'l', 'l', 'o', 0x11, 0, 0}, "hello", false},
		{"short run then match", []byte{17 + 3, 'a', 'b', 'c', 32 | 4, (3 - 1) << 2, 0, 0x11, 0, 0}, "abcabcabc", false},
		{"overlapping run", []byte{17 + 1, 'z', 32 | 8, 0, 0, 0x11, 0, 0}, "zzzzzzzzzzz", false},
		{"match S bits literals", []byte{17 + 2, 'a', 'b', 32 | 2, (2-1)<<2 | 2, 0, 'x', 'y', 0x11, 0, 0}, "abababxy", false},
		{"64-form match", []byte{17 + 4, 'a', 'b', 'c', 'd', 64 | 3<<2, 0, 0x11, 0, 0}, "abcdabc", false},
		{"128-form match", []byte{17 + 4, 'a', 'b', 'c', 'd', 128 | 3<<2, 0, 0x11, 0, 0}, "abcdabcda", false},
		{"long literal extended", append(append([]byte{0, 2}, bytes.Repeat([]byte{'q'}, 20)...), 0x11, 0, 0), string(bytes.Repeat([]byte{'q'}, 20)), false},
		{"distance before start", []byte{17 + 1, 'a', 32 | 2, 5 << 2, 0, 0x11, 0, 0}, "aaaaa", true},
		{"no end marker", []byte{17 + 5, 'h', 'e', 'l', 'l', 'o'}, "hello", true},
		{"bytes after end", []byte{17 + 5, 'h', 'e', 'l', 'l', 'o', 0x11, 0, 0, 0}, "hello", true},
		{"output too long", []byte{17 + 5, 'h', 'e', 'l', 'l', 'o', 32 | 30, 0, 0, 0x11, 0, 0}, "hello", true},
		{"output short", []byte{17 + 3, 'h', 'e', 'l', 0x11, 0, 0}, "hello", true},
		{"literal overrun", []byte{17 + 9, 'h', 'e'}, "hello", true},
		{"endless zeros", append([]byte{0}, make([]byte, 100)...), "hello", true},
		{"rle", []byte{17, 1, 0, 0, 0, 0}, "hello", true},
		{"empty", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := make([]byte, len(tt.want))
			at, err := lzo1xDecompress(tt.in, out)
			if tt.bad {
				if err == nil {
					t.Fatalf("decoded %q without error", out)
				}
				if at < 0 || at > len(tt.in) {
					t.Fatalf("error offset %d outside the %d-byte input", at, len(tt.in))
				}
				return
			}
			if err != nil {
				t.Fatalf("error at %d: %v", at, err)
			}
			if string(out) != tt.want {
				t.Fatalf("got %q, want %q", out, tt.want)
			}
		})
	}
}

func TestLZOEncoderRoundTrip(t *testing.T) {
	for _, n := range []int{1, 3, 4, 17, 18, 19, 300, 5000, 70000} {
		data := payload(n, int64(n))
		c := lzoEncode(data)
		out := make([]byte, n)
		if at, err := lzo1xDecompress(c, out); err != nil || !bytes.Equal(out, data) {
			t.Fatalf("n=%d: error at %d: %v", n, at, err)
		}
	}
}
