package kmod_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// TestReference: what a kernel's own build records, from its in-tree
// modules (plain and compressed) and Module.symvers (issue 12 item 1).
func TestReference(t *testing.T) {
	const v = "6.1.0-18-amd64"
	magic := v + " SMP preempt mod_unload modversions "
	fsys := kmodtest.FS(kmodtest.Debian(v))
	dir := "lib/modules/" + v + "/"
	nvme := checktest.VersionedModule{Name: "nvme", Vermagic: magic,
		Versions: []checktest.SymVersion{{Name: "module_layout", CRC: 0x11}, {Name: "pci_save_state", CRC: 0x22}}}
	core := checktest.VersionedModule{Name: "nvme_core", Vermagic: magic,
		Versions: []checktest.SymVersion{{Name: "pci_save_state", CRC: 0x99}}, // an importer's record loses to the export below
		Exports:  []checktest.SymVersion{{Name: "nvme_init_ctrl", CRC: 0x33}}}
	ext4 := checktest.VersionedModule{Name: "ext4", Vermagic: magic, Versions: []checktest.SymVersion{{Name: "rare", CRC: 0x44}}}
	fsys[dir+"kernel/drivers/nvme/host/nvme.ko"] = &fstest.MapFile{Data: nvme.ELF()}
	fsys[dir+"kernel/drivers/nvme/host/nvme-core.ko"] = &fstest.MapFile{Data: core.ELF()}
	fsys[dir+"kernel/fs/ext4/ext4.ko"] = &fstest.MapFile{Data: ext4.ELF()}
	ix, err := kmod.Load(fsys, v)
	if err != nil {
		t.Fatal(err)
	}
	r := ix.Reference(fsys)
	if m, from, ok := r.Vermagic("nvme"); !ok || m != magic || !strings.HasSuffix(from, "nvme.ko") {
		t.Errorf("vermagic %q from %q, %v", m, from, ok)
	}
	for _, tc := range []struct {
		sym    string
		prefer []string
		crc    uint64
		from   string // suffix; "" when unknown
	}{
		{"pci_save_state", []string{"nvme"}, 0x22, "nvme.ko"},
		{"nvme_init_ctrl", []string{"nvme", "nvme_core"}, 0x33, "nvme-core.ko"},
		{"rare", nil, 0x44, "ext4.ko"}, // found by the scan of every in-tree module
		{"nowhere", nil, 0, ""},
	} {
		crc, from, ok := r.CRC(tc.sym, tc.prefer...)
		if ok != (tc.from != "") || crc != tc.crc || !strings.HasSuffix(from, tc.from) {
			t.Errorf("CRC(%s) = %#x, %q, %v; want %#x from ...%s", tc.sym, crc, from, ok, tc.crc, tc.from)
		}
	}

	// Module.symvers answers what no preferred module does, before the scan.
	fsys["usr/src/linux-headers-"+v+"/Module.symvers"] = &fstest.MapFile{Data: []byte("0x00000055\trare\tvmlinux\tEXPORT_SYMBOL\t\n")}
	r = ix.Reference(fsys)
	if crc, from, ok := r.CRC("rare"); !ok || crc != 0x55 || !strings.HasSuffix(from, "Module.symvers") {
		t.Errorf("CRC(rare) with Module.symvers = %#x, %q, %v", crc, from, ok)
	}
	fsys["usr/src/linux-headers-"+v+"/Module.symvers"] = &fstest.MapFile{Data: []byte("zz\trare\tvmlinux\n")}
	r = ix.Reference(fsys)
	if len(r.Errors()) == 0 || !strings.Contains(r.Errors()[0], "not a CRC") {
		t.Errorf("a malformed Module.symvers: errors %q", r.Errors())
	}
}
