package initrd

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// genImage is an io.Reader of a newc archive of n files of size bytes each,
// produced on the fly: nothing of it is ever held in memory at once.
type genImage struct {
	n, size, i int
	pending    []byte // header/name/padding not yet read
	data       int    // data bytes of file i still to give
	pad        int
	done       bool
}

func (g *genImage) Read(p []byte) (int, error) {
	for {
		switch {
		case len(g.pending) > 0:
			n := copy(p, g.pending)
			g.pending = g.pending[n:]
			return n, nil
		case g.data > 0:
			n := min(len(p), g.data)
			for i := range p[:n] {
				p[i] = byte('a' + i%26)
			}
			g.data -= n
			return n, nil
		case g.pad > 0:
			n := min(len(p), g.pad)
			clear(p[:n])
			g.pad -= n
			return n, nil
		case g.done:
			return 0, io.EOF
		case g.i < g.n:
			g.pending = rawEntry(magicNewc, ent{name: fmt.Sprintf("usr/lib/f%06d", g.i), mode: ModeRegular | 0o644})
			// rawEntry wrote filesize 0: patch it to size.
			copy(g.pending[fieldOffset("filesize"):], fmt.Sprintf("%08X", g.size))
			g.data, g.pad = g.size, int(pad4(int64(g.size)))
			g.i++
		default:
			g.pending = rawEntry(magicNewc, trailerEnt())
			g.done = true
		}
	}
}

// TestReadMemoryBounded reads a 64 MiB image streamed from a generator:
// what the reader allocates must not grow with the image.
func TestReadMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MiB")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	im, err := Read(context.Background(), &genImage{n: 64, size: 1 << 20}, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	wantWhole(t, im)
	if len(im.Entries) != 64 || im.Size < 64<<20 {
		t.Fatalf("%d entries, %d bytes", len(im.Entries), im.Size)
	}
	d := after.TotalAlloc - before.TotalAlloc
	if d > 4<<20 {
		t.Fatalf("reading %d bytes allocated %d bytes", im.Size, d)
	}
	t.Logf("reading %d bytes allocated %d bytes", im.Size, d)
}

// BenchmarkReadMemory reads zstd images of 16 and 128 MiB (decompressed),
// encoded on the fly through a pipe: B/op, which counts the encoder too,
// stays flat while the image grows eightfold.
func BenchmarkReadMemory(b *testing.B) {
	for _, mib := range []int{16, 128} {
		b.Run(fmt.Sprintf("zstd-%dMiB", mib), func(b *testing.B) {
			b.SetBytes(int64(mib) << 20)
			b.ReportAllocs()
			for b.Loop() {
				pr, pw := io.Pipe()
				go func() {
					enc, err := zstd.NewWriter(pw, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
					if err != nil {
						pw.CloseWithError(err)
						return
					}
					_, err = io.Copy(enc, &genImage{n: mib, size: 1 << 20})
					if cerr := enc.Close(); err == nil {
						err = cerr
					}
					pw.CloseWithError(err)
				}()
				im, err := Read(context.Background(), pr, Options{})
				if err != nil || !im.Whole() {
					b.Fatalf("%v %+v", err, im.Problems)
				}
			}
		})
	}
}
