package initrd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

func TestModules(t *testing.T) {
	nvme := elfModule("license=GPL", "depends=nvme-core", "name=nvme", "vermagic=6.1.0-13-amd64 SMP preempt mod_unload modversions ")
	core := elfModule("depends=", "name=nvme_core", "vermagic=6.1.0-13-amd64 SMP preempt mod_unload modversions ")
	ext4 := elfModule("depends=mbcache,jbd2", "vermagic=6.5.0-1-generic SMP mod_unload ")
	coreGz, ext4Zst := gz(t, core), zst(t, ext4)
	early := archive(dir("lib"), dir("lib/modules"), dir("lib/modules/6.1.0-13-amd64"),
		file("lib/modules/6.1.0-13-amd64/kernel/drivers/nvme/host/nvme.ko", string(nvme)),
		file("lib/modules/6.1.0-13-amd64/kernel/drivers/nvme/host/nvme-core.ko.gz", string(coreGz)))
	main := zst(t, archive(dir("usr"), dir("usr/lib"), dir("usr/lib/modules"),
		file("usr/lib/modules/6.5.0-1-generic/kernel/fs/ext4/ext4.ko.zst", string(ext4Zst)),
		file("usr/lib/modules/6.5.0-1-generic/kernel/broken.ko", "not an elf file"),
		file("usr/lib/modules/6.5.0-1-generic/modules.dep", "x"),
		file("opt/stray.ko", string(nvme)),
		file("usr/lib/modules/6.5.0-1-generic/kernel/liar.ko.xz", string(gz(t, ext4)))))
	im := mustRead(t, cat(early, main), Options{})
	wantWhole(t, im)
	vm61 := "6.1.0-13-amd64 SMP preempt mod_unload modversions "
	want := []Module{
		{Path: "lib/modules/6.1.0-13-amd64/kernel/drivers/nvme/host/nvme.ko", Name: "nvme", KernelVersion: "6.1.0-13-amd64", Vermagic: vm61, Depends: []string{"nvme_core"}},
		{Path: "lib/modules/6.1.0-13-amd64/kernel/drivers/nvme/host/nvme-core.ko.gz", Name: "nvme_core", KernelVersion: "6.1.0-13-amd64", Vermagic: vm61},
		{Path: "usr/lib/modules/6.5.0-1-generic/kernel/fs/ext4/ext4.ko.zst", Name: "ext4", KernelVersion: "6.5.0-1-generic", Vermagic: "6.5.0-1-generic SMP mod_unload ", Depends: []string{"mbcache", "jbd2"}},
	}
	if len(im.Modules) != 5 {
		t.Fatalf("modules %+v", im.Modules)
	}
	// A compressed module read whole has the SHA-256 of its file's bytes
	// (for kmod.Reference.Know); a plain or unreadable one none.
	for i, sum := range [][sha256.Size]byte{{}, sha256.Sum256(coreGz), sha256.Sum256(ext4Zst), {}, {}} {
		if im.Modules[i].Sum != sum {
			t.Errorf("module %d: Sum %x, want %x", i, im.Modules[i].Sum, sum)
		}
	}
	// The fixture's directories are not all entries: where the kernel
	// puts the modules is TestRootfs's matter, not this test's.
	ignoreReach(im.Modules)
	for i, w := range want {
		if !reflect.DeepEqual(im.Modules[i], w) {
			t.Errorf("module %d:\n got %+v\nwant %+v", i, im.Modules[i], w)
		}
	}
	if m := im.Modules[3]; m.Name != "broken" || m.Err == nil || !strings.Contains(m.Err.Error(), "not a readable ELF") {
		t.Errorf("broken module %+v %v", m, m.Err)
	}
	if m := im.Modules[4]; m.Err == nil || !strings.Contains(m.Err.Error(), "liar.ko.xz") || !strings.Contains(m.Err.Error(), "not a xz member") {
		t.Errorf("module with the wrong compression %+v %v", m, m.Err)
	}
}

func TestModuleNames(t *testing.T) {
	cases := map[string]string{
		"lib/modules/6.1/kernel/a-b.ko": "a_b", "x/y.ko.zst": "y", "x/y.ko.xz": "y", "x/y.ko.gz": "y",
		"x/y.ko.bz2": "", "x/.ko": "", "x/y.o": "", "x/y.kobj": "",
	}
	for p, want := range cases {
		if got := moduleName(p); got != want {
			t.Errorf("moduleName(%q) = %q, want %q", p, got, want)
		}
	}
	for p, want := range map[string]string{
		"lib/modules/6.1.0-13-amd64/kernel/x.ko": "6.1.0-13-amd64", "usr/lib/modules/6.8.0/updates/dkms/z.ko.zst": "6.8.0",
		"lib/modules/x.ko": "", "lib/firmware/x.ko": "", "usr/lib/modules//x.ko": "",
	} {
		v, ok := modulePath(p)
		if v != want || ok != (want != "") {
			t.Errorf("modulePath(%q) = %q, %v; want %q", p, v, ok, want)
		}
	}
}

func TestModinfoHostile(t *testing.T) {
	good := elfModule("vermagic=6.1 SMP ", "depends=a")
	// Every truncation of a module gives an error or the right answer,
	// never a panic.
	for cut := 0; cut < len(good); cut++ {
		info, err := readModinfo("x.ko", good[:cut])
		if err == nil && info.Modinfo["vermagic"] != "6.1 SMP " {
			t.Fatalf("cut %d: %v", cut, info)
		}
	}
	// A section header claiming a huge .modinfo.
	bad := append([]byte(nil), good...)
	shoff := int(bad[0x28]) | int(bad[0x29])<<8
	sizeAt := shoff + 64 + 32
	for i := 0; i < 8; i++ {
		bad[sizeAt+i] = 0xff
	}
	if _, err := readModinfo("x.ko", bad); err == nil {
		t.Fatal("no error for a .modinfo larger than the file")
	}
}

// TestModuleTail: a module whose .modinfo is read keeps its decoded end,
// where a signature lies: a compressed module's is its decompressed end.
func TestModuleTail(t *testing.T) {
	mod := append(elfModule("vermagic=6.1 "), "SIGNATURE~"...)
	big := append(bytes.Repeat([]byte{0}, ModuleTail), mod...)
	im, err := Read(context.Background(), bytes.NewReader(archive(
		file("lib/modules/6.1/a.ko", string(mod)),
		file("lib/modules/6.1/b.ko.zst", string(zst(t, big))),
		file("lib/modules/6.1/c.ko", string(mod)))),
		Options{Modinfo: func(n string) bool { return n != "c" }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"a": int64(len(mod)), "b": int64(len(big)), "c": 0}
	for _, m := range im.Modules {
		if m.Size != want[m.Name] || (m.Size > 0) != bytes.HasSuffix(m.Tail, []byte("SIGNATURE~")) || len(m.Tail) > ModuleTail {
			t.Errorf("%s: size %d, tail of %d bytes ending %q", m.Name, m.Size, len(m.Tail), m.Tail[max(0, len(m.Tail)-10):])
		}
	}
}

// TestDecompressModuleSized: a module whose file says its decoded length
// is decoded into a buffer of that length (plus the byte that sees the
// end) at once, where growing from 256 KiB would have taken 256 KiB; a length the file cannot plausibly hold allocates nothing
// up front, and the decoding still decides (here: ISIZE disagrees).
func TestDecompressModuleSized(t *testing.T) {
	mod := elfModule("depends=", "vermagic=6.1.0-13-amd64 SMP ")
	for x := uint32(1); len(mod) < 64000; { // compressible as a module is: not 32 times
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		mod = append(mod, byte(x)&0x3f)
	}
	raw := gz(t, mod)
	data, err := decompressModule("m.ko.gz", raw, nil, nil)
	if err != nil || !bytes.Equal(data, mod) || cap(data) <= len(mod) || cap(data) > len(mod)*9/8 { // the allocator's size class
		t.Errorf("%d bytes (cap %d), %v; want %d (cap %d or a little more)", len(data), cap(data), err, len(mod), len(mod)+1)
	}
	binary.LittleEndian.PutUint32(raw[len(raw)-4:], 1<<30) // ISIZE: 1 GiB
	data, err = decompressModule("m.ko.gz", raw, nil, nil)
	if err == nil || cap(data) > 1<<20 {
		t.Errorf("a 1 GiB ISIZE: %d bytes (cap %d), %v; want an error and no 1 GiB buffer", len(data), cap(data), err)
	}
}
