package initrd

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"testing"
)

// benchArchive is a cpio archive of about size bytes: many files of
// compressible text, like an initrd's scripts, libraries and modules.
func benchArchive(size int) []byte {
	rng := rand.New(rand.NewSource(1))
	words := []string{"modprobe", "nvme", "ext4", "root", "mount", "0x00", "udev", "kernel", "lib", "firmware"}
	ents := []ent{dir(".")}
	total := 0
	for i := 0; total < size; i++ {
		var b bytes.Buffer
		n := 1000 + rng.Intn(60000)
		for b.Len() < n {
			b.WriteString(words[rng.Intn(len(words))])
			b.WriteByte(byte(rng.Intn(256)))
		}
		ents = append(ents, file(fmt.Sprintf("usr/lib/x/f%05d", i), b.String()))
		total += b.Len()
	}
	return archive(ents...)
}

// BenchmarkRead reads a generated 8 MiB (decompressed) image per codec.
// Throughput is reported in decompressed bytes per second. bzip2 and lzo
// have no Go encoder here: scripts/ci/20-initrd-real.sh covers them with the
// real tools.
func BenchmarkRead(b *testing.B) {
	raw := benchArchive(8 << 20)
	codecs := []struct {
		name string
		enc  func(testing.TB, []byte) []byte
	}{
		{"none", func(_ testing.TB, b []byte) []byte { return b }},
		{"gzip", gz}, {"zstd", zst}, {"xz", xzc}, {"lzma", lzmac}, {"lz4", lz4c},
	}
	for _, c := range codecs {
		b.Run(c.name, func(b *testing.B) {
			img := c.enc(b, raw)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				im, err := Read(context.Background(), bytes.NewReader(img), Options{})
				if err != nil || !im.Whole() {
					b.Fatalf("%v %+v", err, im.Problems)
				}
			}
		})
	}
}

// BenchmarkReadModules reads a zstd image of 400 .ko.zst modules of 64 KiB
// (decompressed) each, reading the .modinfo of none (ls), of a dozen
// (verify) and of all (inspect).
func BenchmarkReadModules(b *testing.B) {
	var ents []ent
	for i := range 400 {
		mod := elfModule(fmt.Sprintf("vermagic=6.1.0-%d SMP ", i), "depends=m1,m2")
		mod = append(mod, benchArchive(64 << 10)[:64<<10-len(mod)]...)
		ents = append(ents, file(fmt.Sprintf("usr/lib/modules/6.1/kernel/m%03d.ko.zst", i), string(zst(b, mod))))
	}
	raw := archive(ents...)
	img := zst(b, raw)
	dozen := func(name string) bool { return len(name) == 4 && name[1:3] == "00" } // m000..m009
	for _, c := range []struct {
		name    string
		modinfo func(string) bool
	}{{"none", NoModinfo}, {"dozen", dozen}, {"all", nil}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				im, err := Read(context.Background(), bytes.NewReader(img), Options{Modinfo: c.modinfo})
				if err != nil || !im.Whole() || len(im.Modules) != 400 {
					b.Fatalf("%v %+v", err, im.Problems)
				}
			}
		})
	}
}

// BenchmarkModinfoPerModule reads the .modinfo of every module of zstd
// images of 100 and 1000 .ko.zst or .ko.xz modules (64 KiB decompressed
// each), whole (verify's read) and as inspect does (Options.ModinfoOnly):
// B/module shows what one more module costs. The decoders and buffers are
// per worker (decomp.Files), so it stays near the module's own record and
// .modinfo map, whatever the count (issue 16 item 2).
func BenchmarkModinfoPerModule(b *testing.B) {
	mod := elfModule("vermagic=6.1.0-1 SMP ", "depends=m1,m2")
	mod = append(mod, benchArchive(64 << 10)[:64<<10-len(mod)]...)
	for _, suffix := range []string{".ko.zst", ".ko.xz"} {
		data := zst(b, mod)
		if suffix == ".ko.xz" {
			data = xzc(b, mod)
		}
		for _, n := range []int{100, 1000} {
			var ents []ent
			for i := range n {
				ents = append(ents, file(fmt.Sprintf("usr/lib/modules/6.1/kernel/m%04d%s", i, suffix), string(data)))
			}
			img := zst(b, archive(ents...))
			for _, only := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/%d/only=%v", suffix[1:], n, only), func(b *testing.B) {
					b.ReportAllocs()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					before, loops := ms.TotalAlloc, 0
					for b.Loop() {
						im, err := Read(context.Background(), bytes.NewReader(img), Options{ModinfoOnly: only})
						if err != nil || !im.Whole() || len(im.Modules) != n || im.Modules[n-1].Vermagic == "" {
							b.Fatalf("%v %+v", err, im.Problems)
						}
						loops++
					}
					runtime.ReadMemStats(&ms)
					b.ReportMetric(float64(ms.TotalAlloc-before)/float64(loops)/float64(n), "B/module")
				})
			}
		}
	}
}
