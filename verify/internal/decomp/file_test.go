package decomp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestOpenFile(t *testing.T) {
	data := payload(40<<10, 9)
	gz, zs, x := gzipEnc(t, data), zstdEnc(t, data), xzEnc(xzCRC32)(t, data)
	half := len(data) / 2
	twoGz := append(gzipEnc(t, data[:half]), gzipEnc(t, data[half:])...)
	twoZs := append(zstdEnc(t, data[:half]), zstdEnc(t, data[half:])...)
	padXZ := append(append(append([]byte{}, xzEnc(xzCRC32)(t, data[:half])...), 0, 0, 0, 0), xzEnc(xzCRC64)(t, data[half:])...)
	tests := []struct {
		name  string
		in    []byte
		limit int64
		want  error // nil: decodes to data
	}{
		{"m.ko", data, 1 << 20, nil},
		{"m.ko.gz", gz, 1 << 20, nil},
		{"m.ko.zst", zs, 1 << 20, nil},
		{"m.ko.xz", x, 1 << 20, nil},
		{"two.ko.gz", twoGz, 1 << 20, nil},
		{"two.ko.zst", twoZs, 1 << 20, nil},
		{"padded.ko.xz", padXZ, 1 << 20, nil},
		{"exact.ko.zst", zs, int64(len(data)), nil},
		{"big.ko", data, int64(len(data)) - 1, ErrTooLarge},
		{"big.ko.gz", gz, 1000, ErrTooLarge},
		{"big.ko.xz", x, int64(len(data)) - 1, ErrTooLarge},
		{"cut.ko.gz", gz[:len(gz)-3], 1 << 20, io.ErrUnexpectedEOF},
		{"cut.ko.zst", zs[:len(zs)/2], 1 << 20, io.ErrUnexpectedEOF},
		{"junk.ko.gz", append(append([]byte{}, gz...), "junk"...), 1 << 20, ErrCorrupt},
		{"badpad.ko.xz", append(append([]byte{}, x...), 0, 0), 1 << 20, ErrCorrupt},
		{"wrong.ko.xz", gz, 1 << 20, ErrCorrupt},
		{"empty.ko.zst", nil, 1 << 20, io.ErrUnexpectedEOF},
		{"m.ko.bz2", gz, 1 << 20, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenFile(tt.name, bytes.NewReader(tt.in), tt.limit)
			var out []byte
			if err == nil {
				out, err = io.ReadAll(r)
				r.Close()
			}
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out, data) {
					t.Fatalf("got %d bytes, want the %d-byte payload", len(out), len(data))
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want one wrapping %v", err, tt.want)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tt.name)) {
				t.Errorf("error %q does not name the file", err)
			}
			if int64(len(out)) > tt.limit {
				t.Errorf("returned %d bytes, over the %d limit", len(out), tt.limit)
			}
		})
	}
}
