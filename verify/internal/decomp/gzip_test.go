package decomp

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"
)

// gzipByHand builds a member with the given flags and raw header fields
// after the fixed 10 bytes, so names longer than compress/gzip reads and
// fields the kernel does not skip can be tested.
func gzipByHand(t *testing.T, flags byte, fields []byte, data []byte) []byte {
	t.Helper()
	out := []byte{0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3}
	out = append(out, fields...)
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, 6)
	w.Write(data)
	w.Close()
	out = append(out, b.Bytes()...)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(data))
	return binary.LittleEndian.AppendUint32(out, uint32(len(data)))
}

func TestGzipHeaderAsTheKernelReadsIt(t *testing.T) {
	data := payload(3000, 21)
	longName := append(bytes.Repeat([]byte("n"), 2000), 0)
	tests := []struct {
		name      string
		member    []byte
		kernelErr error // nil: decodes
		fileOK    bool  // OpenFile (userspace) accepts it
	}{
		{"long file name", gzipByHand(t, gzFNAME, longName, data), nil, false},
		{"short file name", gzipByHand(t, gzFNAME, []byte("initrd\x00"), data), nil, true},
		{"comment", gzipByHand(t, gzFCOMMENT, []byte("hi\x00"), data), ErrCorrupt, true},
		{"extra field", gzipByHand(t, gzFEXTRA, []byte{2, 0, 'a', 'b'}, data), ErrCorrupt, true},
		{"unterminated name", gzipByHand(t, gzFNAME, []byte("abc"), nil)[:13], io.ErrUnexpectedEOF, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := append(append([]byte{}, tt.member...), marker...)
			out, s, err := decode(Gzip, img, 1<<20)
			if tt.kernelErr != nil {
				if !errors.Is(err, tt.kernelErr) {
					t.Fatalf("error %v, want one wrapping %v", err, tt.kernelErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out, data) || s.Offset() != int64(len(tt.member)) {
					t.Fatalf("output %d bytes, offset %d; want %d bytes, offset %d", len(out), s.Offset(), len(data), len(tt.member))
				}
			}
			if tt.fileOK {
				r, err := OpenFile("m.ko.gz", bytes.NewReader(tt.member), 1<<20)
				if err == nil {
					out, err = io.ReadAll(r)
				}
				if err != nil || !bytes.Equal(out, data) {
					t.Fatalf("OpenFile: %v", err)
				}
			}
		})
	}
	// compress/gzip, which OpenFile uses, agrees on the ordinary case.
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Name = "initrd"
	w.Write(data)
	w.Close()
	if out, _, err := decode(Gzip, b.Bytes(), 1<<20); err != nil || !bytes.Equal(out, data) {
		t.Fatalf("named member from compress/gzip: %v", err)
	}
}
