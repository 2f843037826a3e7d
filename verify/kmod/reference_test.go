package kmod_test

import (
	"crypto/sha256"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/internal/modelf"
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

// TestReferenceKnown: an in-tree module file the caller has read already
// (an initrd's copy, Reference.Know) stands for the file only when the
// file has its bytes, and only as far as a decoding would; any other file
// is decoded as ever, with the same answer or error.
func TestReferenceKnown(t *testing.T) {
	const v = "6.12.48+deb13-amd64"
	magic := v + " SMP preempt mod_unload modversions "
	nvme := checktest.VersionedModule{Name: "nvme", Vermagic: magic, Depends: []string{"nvme-core"},
		Versions: []checktest.SymVersion{{Name: "pci_save_state", CRC: 0x22}}}
	core := checktest.VersionedModule{Name: "nvme_core", Vermagic: magic,
		Versions: []checktest.SymVersion{{Name: "blk_mq_start_request", CRC: 0x66}},
		Exports:  []checktest.SymVersion{{Name: "nvme_init_ctrl", CRC: 0x33}}}
	const nvmeRel, coreRel = "kernel/drivers/nvme/host/nvme.ko.gz", "kernel/drivers/nvme/host/nvme-core.ko.gz"
	dir := "lib/modules/" + v + "/"
	files := map[string][]byte{nvmeRel: checktest.Gzip(nvme.ELF()), coreRel: checktest.Gzip(core.ELF())}
	newFS := func() fstest.MapFS {
		fsys := kmodtest.FS(kmodtest.Kernel{Version: v, Dep: []string{nvmeRel + ": " + coreRel, coreRel + ":"}, Builtin: []string{}, Alias: []string{}})
		for rel, b := range files {
			fsys[dir+rel] = &fstest.MapFile{Data: b}
		}
		return fsys
	}
	// decoded is what the initrd read of a file (as initrd.Module holds
	// it), with CRC 0x99 for pci_save_state where the file has 0x22 and
	// 0x88 for nvme_init_ctrl where it has 0x33: the answer tells which was
	// read.
	decoded := func(file []byte) kmod.Decoded {
		return kmod.Decoded{Sum: sha256.Sum256(file), Size: int64(len(nvme.ELF())), Vermagic: magic,
			Versions: []modelf.Version{{Name: "pci_save_state", CRC: 0x99}},
			Exports:  map[string]uint64{"nvme_init_ctrl": 0x88}}
	}
	for _, tc := range []struct {
		name  string
		file  []byte // the in-tree nvme.ko.gz
		known kmod.Decoded
		crc   uint64 // CRC(pci_save_state, "nvme"); 0: unknown
		err   string // in Errors()
	}{
		{"the same bytes: not decoded", files[nvmeRel], decoded(files[nvmeRel]), 0x99, ""},
		{"other bytes: decoded", files[nvmeRel], decoded(checktest.Gzip(core.ELF())), 0x22, ""},
		{"the file truncated: decoded, with its error", files[nvmeRel][:len(files[nvmeRel])-9], decoded(files[nvmeRel]), 0, "unexpected EOF"},
		{"over the bytes read for the reference: decoded", files[nvmeRel],
			func() kmod.Decoded { d := decoded(files[nvmeRel]); d.Size = kmod.MaxReferenceBytes + 1; return d }(), 0x22, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := newFS()
			fsys[dir+nvmeRel] = &fstest.MapFile{Data: tc.file}
			ix, err := kmod.Load(fsys, v)
			if err != nil {
				t.Fatal(err)
			}
			r := ix.Reference(fsys)
			r.Know(nvmeRel, tc.known)
			crc, from, ok := r.CRC("pci_save_state", "nvme")
			if ok != (tc.crc != 0) || crc != tc.crc || ok && from != dir+nvmeRel {
				t.Errorf("CRC(pci_save_state) = %#x, %q, %v; want %#x", crc, from, ok, tc.crc)
			}
			if errs := strings.Join(r.Errors(), "; "); tc.err == "" && errs != "" || !strings.Contains(errs, tc.err) {
				t.Errorf("errors %q, want %q", errs, tc.err)
			}
		})
	}

	// Exports count only where a decoding reads them: nvme-core read for
	// a module that prefers it (exports and all), not in the scan of every
	// in-tree module (its __versions only).
	fsys := newFS()
	ix, err := kmod.Load(fsys, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefer := range [][]string{{"nvme_core"}, nil} {
		r := ix.Reference(fsys)
		d := decoded(files[coreRel])
		d.Versions = []modelf.Version{{Name: "blk_mq_start_request", CRC: 0x66}}
		r.Know(coreRel, d)
		crc, _, ok := r.CRC("nvme_init_ctrl", prefer...)
		if want := prefer != nil; ok != want || ok && crc != 0x88 {
			t.Errorf("CRC(nvme_init_ctrl) preferring %v = %#x, %v; want found: %v", prefer, crc, ok, want)
		}
		if crc, _, ok := r.CRC("blk_mq_start_request", prefer...); !ok || crc != 0x66 {
			t.Errorf("CRC(blk_mq_start_request) preferring %v = %#x, %v", prefer, crc, ok)
		}
	}
}
