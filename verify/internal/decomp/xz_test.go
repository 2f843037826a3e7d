package decomp

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"
)

// xzEditBlockHeader returns a copy of an xz member whose first block
// header was changed by edit (given the header without its CRC32), with the
// CRC32 recomputed so only the edit is wrong.
func xzEditBlockHeader(t *testing.T, m []byte, edit func(h []byte)) []byte {
	t.Helper()
	out := append([]byte{}, m...)
	size := (int(out[12]) + 1) * 4
	h := out[12 : 12+size]
	edit(h[:size-4])
	binary.LittleEndian.PutUint32(h[size-4:], crc32.ChecksumIEEE(h[:size-4]))
	return out
}

func TestXZStructure(t *testing.T) {
	m := xzEnc(xzCRC32)(t, payload(5000, 11))
	// Go's writer: size byte, flags 0 (one filter, no sizes), 0x21, 1, props.
	if m[13] != 0 || m[14] != 0x21 || m[15] != 1 {
		t.Fatalf("unexpected block header % x", m[12:24])
	}
	tests := []struct {
		name string
		img  []byte
		want error
	}{
		{"huge dictionary", xzEditBlockHeader(t, m, func(h []byte) { h[4] = 40 }), ErrUnsupported},
		{"bcj filter", xzEditBlockHeader(t, m, func(h []byte) { h[2] = 0x04 }), ErrUnsupported},
		{"bad lzma2 props", xzEditBlockHeader(t, m, func(h []byte) { h[4] = 41 }), ErrCorrupt},
		{"reserved block flags", xzEditBlockHeader(t, m, func(h []byte) { h[1] |= 0x10 }), ErrCorrupt},
		{"block header crc", func() []byte { b := append([]byte{}, m...); b[14] ^= 1; return b }(), ErrCorrupt},
		{"bad chunk control", func() []byte {
			b := append([]byte{}, m...)
			b[12+(int(m[12])+1)*4] = 0x05
			return b
		}(), ErrCorrupt},
		{"stream header crc", func() []byte { b := append([]byte{}, m...); b[7] ^= 1; return b }(), ErrCorrupt},
		{"cut in footer", m[:len(m)-1], io.ErrUnexpectedEOF},
		{"block check", xzEditBeforeIndex(m, 1), ErrCorrupt},
		{"index record", xzEditBeforeIndex(m, -2), ErrCorrupt},
		{"footer flags", func() []byte { b := append([]byte{}, m...); b[len(b)-3] ^= 1; return b }(), ErrCorrupt},
		{"chunk packed size", func() []byte {
			b := append([]byte{}, m...)
			b[12+(int(m[12])+1)*4+4]-- // the first chunk's packed size, one byte short
			return b
		}(), ErrCorrupt},
		{"cut after index", m[:len(m)-12], io.ErrUnexpectedEOF},
	}
	tests = append(tests,
		struct {
			name string
			img  []byte
			want error
		}{"crc64 check", xzEnc(xzCRC64)(t, payload(500, 1)), ErrCorrupt},
		struct {
			name string
			img  []byte
			want error
		}{"sha256 check", xzEnc(xzSHA256)(t, payload(500, 1)), ErrCorrupt},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decode(XZ, tt.img, 1<<20)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want one wrapping %v", err, tt.want)
			}
			checkMemberError(t, err, XZ, len(tt.img))
		})
	}
}

// xzEditBeforeIndex returns a copy of an xz member with the byte at index
// start - k flipped: k 1 is the last byte of the last block's check, k -2 an
// index record's byte (the index CRC32 then fails too: corrupt either way).
func xzEditBeforeIndex(m []byte, k int) []byte {
	b := append([]byte{}, m...)
	backward := (int(binary.LittleEndian.Uint32(b[len(b)-8:])) + 1) * 4
	b[len(b)-12-backward-k] ^= 1
	return b
}
