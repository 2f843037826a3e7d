package verify

import (
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/initrd"
)

// TestInitrdLarge builds the image's description directly: a real 256 MiB
// initrd is too much for a unit test.
func TestInitrdLarge(t *testing.T) {
	reg := func(p string, size int64) initrd.Entry {
		return initrd.Entry{Path: p, Mode: initrd.ModeRegular | 0o644, Size: size}
	}
	mod := "usr/lib/modules/6.11.0-rc1+/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko"
	img := &initrd.Image{Size: 90 << 20,
		Segments: []initrd.Segment{{Compression: "none", DecompressedSize: 1 << 20}, {Compression: "zstd", DecompressedSize: 300 << 20}},
		Entries: []initrd.Entry{
			reg(mod, 10<<20), reg("usr/lib/firmware/big.bin", 20<<20), reg("init", 100),
			reg(mod, 250<<20), // a later copy wins
			{Path: "usr/lib/modules", Mode: initrd.ModeDir | 0o755},
			reg("usr/lib/modules/6.11.0-rc1+/kernel/fs/ext4/ext4.ko", 9<<20),
		}}
	c := &checker{req: Request{Version: "6.11.0-rc1+"}, rep: KernelReport{Initrds: []string{"/boot/initrd.img-6.11.0-rc1+"}}}
	c.initrdSize(img)
	if len(c.rep.Problems) != 1 || c.rep.Verdict != Bootable {
		t.Fatalf("%+v", c.rep)
	}
	p := c.rep.Problems[0]
	for _, s := range []string{"unpacks to 301.0 MiB", "over 256.0 MiB", mod + " (250.0 MiB), usr/lib/firmware/big.bin (20.0 MiB), usr/lib/modules/6.11.0-rc1+/kernel/fs/ext4/ext4.ko (9.0 MiB), init",
		"its 2 modules take 259.0 MiB"} {
		if !strings.Contains(p.Message, s) {
			t.Errorf("message lacks %q: %s", s, p.Message)
		}
	}
	if p.Code != CodeInitrdLarge || !strings.Contains(p.Hint, "INSTALL_MOD_STRIP=1") {
		t.Errorf("%+v", p)
	}
	// Just under the size: nothing to say.
	img.Segments = img.Segments[1:]
	img.Segments[0].DecompressedSize = LargeInitrd
	c.rep = KernelReport{}
	c.initrdSize(img)
	if len(c.rep.Problems) != 0 {
		t.Errorf("%+v", c.rep.Problems)
	}
}
