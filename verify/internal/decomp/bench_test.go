package decomp

import (
	"bytes"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// BenchmarkMember decodes a 4 MiB payload compressed by each codec: the
// throughput figure (MB/s, of decompressed bytes) and allocations per
// member show the memory claims (zstd: one window, no goroutines).
func BenchmarkMember(b *testing.B) {
	data := payload(4<<20, 7)
	encs := []struct {
		c   Codec
		enc func(testing.TB, []byte) []byte
	}{
		{Gzip, gzipEnc},
		{Zstd, zstdEnc},
		{XZ, xzEnc(xzCRC32)},
		{LZMA, lzmaEnc(false)},
		{LZ4, lz4LegacyEnc(8 << 20)},
		{LZO, lzopEnc(256<<10, false)},
		{Bzip2, cliEnc("bzip2", "-c", "-9")},
	}
	for _, e := range encs {
		b.Run(string(e.c), func(b *testing.B) {
			m := e.enc(b, data)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := NewSource(bytes.NewReader(m))
				r, err := Member(e.c, s)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, r)
				r.Close()
				if err != nil || n != int64(len(data)) {
					b.Fatalf("decoded %d bytes: %v", n, err)
				}
			}
		})
	}
}

// BenchmarkZstdMemory decodes 32 MiB written with a 1 MiB window: the bytes
// allocated per member (B/op) stay near the window and block buffers, not
// the output size, which is the memory claim of newZstd's options.
func BenchmarkZstdMemory(b *testing.B) {
	data := payload(32<<20, 8)
	w, err := zstd.NewWriter(nil, zstd.WithWindowSize(1<<20), zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(true))
	if err != nil {
		b.Fatal(err)
	}
	m := w.EncodeAll(data, nil)
	w.Close()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Member(Zstd, NewSource(bytes.NewReader(m)))
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
			b.Fatalf("decoded %d bytes: %v", n, err)
		}
		r.Close()
	}
}
