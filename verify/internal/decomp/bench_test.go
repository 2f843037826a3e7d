package decomp

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

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

// BenchmarkImage decodes the first member of the image BG_BENCH_IMAGE names
// (an image that starts with its compressed member, such as
// scripts/real-images.sh's mkinitramfs-xz.img) and, in the same run, the
// codec's own CLI (xz -dc, lzma -dc, ...) on the same bytes, each reading
// the file itself (a pipe would charge the CLI for copying its input). Both report
// cpu-ns/op (user+system time: this process's for "go", the child's for
// "cli"), which a loaded machine moves far less than wall time; their
// quotient is the ratio issue 16 sets a target for. Skipped without the
// variable: real images are not test fixtures.
func BenchmarkImage(b *testing.B) {
	path := os.Getenv("BG_BENCH_IMAGE")
	if path == "" {
		b.Skip("BG_BENCH_IMAGE is not set")
	}
	img, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	c := Detect(img)
	cli := map[Codec]string{Gzip: "gzip", Zstd: "zstd", XZ: "xz", LZMA: "lzma", LZ4: "lz4", Bzip2: "bzip2", LZO: "lzop"}[c]
	if cli == "" {
		b.Fatalf("%s: no compressed member at its start", path)
	}
	var size int64
	b.Run("go", func(b *testing.B) {
		b.ReportAllocs()
		t0 := cpuTime()
		for i := 0; i < b.N; i++ {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			r, err := Member(c, NewSource(f))
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, r)
			r.Close()
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			size = n
		}
		b.ReportMetric(float64(cpuTime()-t0)/float64(b.N), "cpu-ns/op")
		b.SetBytes(size)
	})
	b.Run("cli", func(b *testing.B) {
		var cpu time.Duration
		for i := 0; i < b.N; i++ {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command(cli, "-dc")
			cmd.Stdin = f
			if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
				b.Fatal(err)
			}
			f.Close()
			cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		b.SetBytes(size)
	})
}
