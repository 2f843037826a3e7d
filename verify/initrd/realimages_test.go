package initrd

// Tests and benchmarks over the real images scripts/real-images.sh builds with
// mkinitramfs, dracut and an Ubuntu-style layout. They run only when
// BG_IMAGES names that directory (relative paths are taken from the repository
// root), for example:
//
//	BG_IMAGES=$PWD/build/images go test -run RealImages -bench RealImages ./verify/initrd/
//
// Without BG_IMAGES they are skipped: the images are hundreds of megabytes of
// real tool output, built by a script, never committed.

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realImage is one line of images.tsv.
type realImage struct {
	file, what string
}

// realImages returns the directory and the images listed in its images.tsv,
// skipping tb when BG_IMAGES is unset.
func realImages(tb testing.TB) (string, []realImage) {
	tb.Helper()
	dir := os.Getenv("BG_IMAGES")
	if dir == "" {
		tb.Skip("BG_IMAGES is not set: run scripts/real-images.sh and set BG_IMAGES=build/images")
	}
	if !filepath.IsAbs(dir) {
		// go test runs in the package directory; the scripts' default is
		// relative to the repository root.
		dir = filepath.Join("..", "..", dir)
	}
	f, err := os.Open(filepath.Join(dir, "images.tsv"))
	if err != nil {
		tb.Fatalf("BG_IMAGES=%s: %v (run scripts/real-images.sh)", dir, err)
	}
	defer f.Close()
	var imgs []realImage
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			tb.Fatalf("%s/images.tsv line %d: want 3 tab-separated fields, got %q", dir, line, sc.Text())
		}
		imgs = append(imgs, realImage{file: parts[0], what: parts[2]})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(imgs) == 0 {
		tb.Fatalf("%s/images.tsv lists no images", dir)
	}
	return dir, imgs
}

// TestRealImages reads every real image: each must be whole, hold the
// entries every initramfs has, and carry modules built for the kernel the
// images were made for (KERNEL) and no other.
func TestRealImages(t *testing.T) {
	dir, imgs := realImages(t)
	kb, err := os.ReadFile(filepath.Join(dir, "KERNEL"))
	if err != nil {
		t.Fatal(err)
	}
	kernel := strings.TrimSpace(string(kb))
	for _, ri := range imgs {
		t.Run(ri.file, func(t *testing.T) {
			im, err := ReadFiles(context.Background(), []string{filepath.Join(dir, ri.file)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !im.Whole() {
				t.Fatalf("%s (%s) is not whole: %+v", ri.file, ri.what, im.Problems)
			}
			for _, p := range []string{"init", "usr/lib/modules/" + kernel + "/modules.dep"} {
				if _, ok := im.Has(p); !ok {
					t.Errorf("%s: no %s", ri.file, p)
				}
			}
			if len(im.Modules) == 0 {
				t.Fatalf("%s: no modules found", ri.file)
			}
			for _, m := range im.Modules {
				if v, _, _ := strings.Cut(m.Vermagic, " "); v != kernel {
					t.Errorf("%s: module %s has vermagic %q, want %s", ri.file, m.Path, m.Vermagic, kernel)
					break
				}
			}
			names := map[string]bool{}
			for _, m := range im.Modules {
				names[m.Name] = true
			}
			disk := names["virtio_blk"] || names["nvme"] || names["ahci"]
			switch {
			case strings.Contains(ri.file, "noroot") && disk:
				t.Errorf("%s has a disk driver; it was built without any", ri.file)
			case !strings.Contains(ri.file, "noroot") && !(names["virtio_blk"] && names["nvme"] && names["ahci"] && names["ext4"]):
				t.Errorf("%s lacks one of virtio_blk, nvme, ahci, ext4 (MODULES=most has them all)", ri.file)
			}
		})
	}
}

// BenchmarkRealImages walks each real image the way `boot-guard ls` does
// (entries streamed, nothing kept, no .modinfo read: NoModinfo).
// Throughput is in bytes of the image file.
func BenchmarkRealImages(b *testing.B) { benchRealImages(b, NoModinfo, false) }

// BenchmarkRealImagesModinfo walks each real image reading every module's
// .modinfo strings, as `boot-guard inspect` does (Options.ModinfoOnly).
func BenchmarkRealImagesModinfo(b *testing.B) { benchRealImages(b, nil, true) }

// BenchmarkRealImagesModules walks each real image reading every module
// whole (.modinfo, __versions, symbols, tail), as verify does the few it
// needs.
func BenchmarkRealImagesModules(b *testing.B) { benchRealImages(b, nil, false) }

func benchRealImages(b *testing.B, modinfo func(string) bool, only bool) {
	dir, imgs := realImages(b)
	for _, ri := range imgs {
		path := filepath.Join(dir, ri.file)
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.TrimSuffix(ri.file, ".img"), func(b *testing.B) {
			b.SetBytes(st.Size())
			b.ReportAllocs()
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				im, err := Walk(context.Background(), f, Options{Modinfo: modinfo, ModinfoOnly: only}, func(Entry) error { n++; return nil })
				f.Close()
				if err != nil || !im.Whole() || n == 0 {
					b.Fatalf("%s: err %v, %d entries, problems %+v", ri.file, err, n, im.Problems)
				}
			}
		})
	}
}
