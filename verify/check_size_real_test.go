package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/boot-guard/boot-guard/verify/initrd"
)

// TestInitrdMemoryMeasured replays the QEMU boots BootRoom was measured by:
// the e2e good image (scripts/real-images.sh's mkinitramfs-zstd.img) on
// Debian 12's kernel with -m N, MemTotal as the guest reported it (-m 256:
// 210716 kB; the kernel reserves the same 90160 kB at every -m near it, so
// each MiB less is 1024 kB less). Skipped without BG_IMAGES.
func TestInitrdMemoryMeasured(t *testing.T) {
	dir := os.Getenv("BG_IMAGES")
	if dir == "" {
		t.Skip("BG_IMAGES is not set: run scripts/real-images.sh and set BG_IMAGES=build/images")
	}
	p := filepath.Join(dir, "mkinitramfs-zstd.img")
	img, err := initrd.ReadFiles(context.Background(), []string{p}, initrd.Options{Modinfo: initrd.NoModinfo})
	if err != nil {
		t.Fatal(err)
	}
	if img.Size != 31727481 {
		t.Skipf("%s is not the image the boots were measured with (%d bytes)", p, img.Size)
	}
	for _, boot := range []struct {
		qemuMiB  int64
		realBoot bool // the marker line: root mounted
	}{{224, false}, {240, false}, {244, false}, {248, true}, {256, true}, {1024, true}} {
		memTotal := 210716 - (256-boot.qemuMiB)*1024
		if boot.qemuMiB == 1024 {
			memTotal = 983708 // as the guest reported it
		}
		c := &checker{root: t.TempDir(), req: Request{Version: "6.1.0-57-amd64",
			Proc: fstest.MapFS{"meminfo": {Data: []byte(fmt.Sprintf("MemTotal: %d kB\n", memTotal))}}}}
		c.initrdSize(img)
		if got := c.rep.Verdict == Bootable; got != boot.realBoot {
			t.Errorf("-m %d (MemTotal %d kB): real boot mounted root: %v, verdict %v: %+v", boot.qemuMiB, memTotal, boot.realBoot, c.rep.Verdict, c.rep.Problems)
		}
	}
}
