package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
)

// Issue 12 item 1: the kernel's loader rules (kernel/module/main.c,
// version.c) over the modules root needs, against the target's in-tree
// modules and Module.symvers.

const nvmePath = "kernel/drivers/nvme/host/nvme.ko"

// inTreeNVMe is the target kernel's own nvme.ko, as its package installs it.
func inTreeNVMe() checktest.VersionedModule {
	return checktest.VersionedModule{Name: "nvme", Vermagic: kv + " SMP preempt mod_unload modversions ",
		Depends:  []string{"nvme-core"},
		Versions: []checktest.SymVersion{{Name: "module_layout", CRC: 0x1111}, {Name: "pci_save_state", CRC: 0x2222}, {Name: "nvme_init_ctrl", CRC: 0x3333}},
		Imports:  []string{"pci_save_state", "nvme_init_ctrl"}}
}

// loadFixture is newFixture with the in-tree nvme.ko under
// /lib/modules/kv/kernel and an initrd whose nvme.ko is initrdNVMe; with gz,
// both are nvme.ko.gz (gzip of the same bytes gives the same file), as the
// kernel's modules.dep names it.
func loadFixture(t *testing.T, initrdNVMe checktest.VersionedModule, gz bool, extra ...func(f fixture)) verify.KernelReport {
	t.Helper()
	f := newFixture(t)
	file, tree, image := nvmePath, inTreeNVMe().ELF(), initrdNVMe.ELF()
	if gz {
		file, tree, image = nvmePath+".gz", checktest.Gzip(tree), checktest.Gzip(image)
		dep := filepath.Join(f.root, "lib/modules", kv, "modules.dep")
		b, err := os.ReadFile(dep)
		if err != nil {
			t.Fatal(err)
		}
		checktest.WriteFile(t, dep, []byte(strings.ReplaceAll(string(b), nvmePath+":", file+":")))
	}
	checktest.WriteFile(t, filepath.Join(f.root, "lib/modules", kv, file), tree)
	for _, e := range extra {
		e(f)
	}
	if gz { // the kernel decompresses it (the initrd has no kmod to)
		cfg := filepath.Join(f.root, "boot", "config-"+kv)
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		checktest.WriteFile(t, cfg, append(b, "\nCONFIG_MODULE_DECOMPRESS=y\nCONFIG_MODULE_COMPRESS_GZIP=y\n"...))
	}
	mods := f.modules(t, rootNeeds, "nvme")
	mods = append(mods, checktest.Module{Path: file, Data: image})
	checktest.Initrd{Version: kv, Modules: mods}.Write(t, f.root)
	return check(t, f.request())
}

// loadCase is one case of TestModuleLoadable: how the initrd's nvme.ko
// differs from the kernel's own, and what boot-guard must say.
type loadCase struct {
	name  string
	mod   func(m *checktest.VersionedModule)
	extra []func(f fixture)
	code  verify.Code // "": bootable, no problem of the module
	bad   verify.Verdict
	in    []string
}

func loadCases(t *testing.T) []loadCase {
	debianBanner := func(f fixture) {
		checktest.WriteFile(t, filepath.Join(f.root, "boot", "vmlinuz-"+kv),
			kimagetest.BzImage(kv+" (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1"))
	}
	withConfig := func(text string) func(f fixture) {
		return func(f fixture) {
			checktest.WriteFile(t, filepath.Join(f.root, "boot", "config-"+kv), []byte(text))
		}
	}
	symvers := func(text string) func(f fixture) {
		return func(f fixture) {
			checktest.WriteFile(t, filepath.Join(f.root, "usr/src/linux-headers-"+kv, "Module.symvers"), []byte(text))
		}
	}
	return []loadCase{
		{name: "the in-tree module itself", mod: func(m *checktest.VersionedModule) {}},
		{name: "a CRC from another build", mod: func(m *checktest.VersionedModule) {
			m.Versions[1].CRC = 0x2223
		}, code: verify.CodeModuleSymbolVersion, bad: verify.Unbootable,
			in: []string{"symbol pci_save_state CRC 0x00002223", "0x00002222", "/lib/modules/" + kv + "/" + nvmePath, "disagrees about version of symbol pci_save_state", "PCI 0000:02:00.0"}},
		{name: "module_layout from another build", mod: func(m *checktest.VersionedModule) {
			m.Versions[0].CRC = 0x1
		}, code: verify.CodeModuleSymbolVersion, bad: verify.Unbootable, in: []string{"symbol module_layout"}},
		{name: "tolerated: an entry for a symbol it does not import disagrees", mod: func(m *checktest.VersionedModule) {
			m.Versions = append(m.Versions, checktest.SymVersion{Name: "pci_restore_state", CRC: 0x9999})
		}},
		{name: "an imported symbol without an entry, on Debian's kernel", mod: func(m *checktest.VersionedModule) {
			m.Versions[2] = checktest.SymVersion{Name: "pci_restore_state", CRC: 0x9999}
		}, extra: []func(fixture){debianBanner}, code: verify.CodeModuleSymbolVersion, bad: verify.Unbootable,
			in: []string{"no entry for nvme_init_ctrl", "Debian's kernel", "no symbol version for nvme_init_ctrl"}},
		{name: "an imported symbol without an entry, on a kernel of unknown origin", mod: func(m *checktest.VersionedModule) {
			m.Versions[2] = checktest.SymVersion{Name: "pci_restore_state", CRC: 0x9999}
		}, code: verify.CodeModuleSymbolVersion, bad: verify.CannotTell, in: []string{"no entry for nvme_init_ctrl", "mainline's loader only warns"}},
		{name: "another preempt model", mod: func(m *checktest.VersionedModule) {
			m.Vermagic = kv + " SMP mod_unload modversions "
		}, code: verify.CodeModuleWrong, bad: verify.Unbootable,
			in: []string{`vermagic "` + kv + ` SMP mod_unload modversions "`, "version magic"}},
		{name: "another release with CRCs that match: the kernel skips the release", mod: func(m *checktest.VersionedModule) {
			m.Vermagic = "6.1.0-17-amd64 SMP preempt mod_unload modversions "
		}},
		{name: "another release without __versions", mod: func(m *checktest.VersionedModule) {
			m.Vermagic = "6.1.0-17-amd64 SMP preempt mod_unload modversions "
			m.NoVersions = true
		}, code: verify.CodeModuleWrong, bad: verify.Unbootable, in: []string{`built for kernel "6.1.0-17-amd64"`, "compares the release too"}},
		{name: "no __versions, no CONFIG_MODULE_FORCE_LOAD", mod: func(m *checktest.VersionedModule) { m.NoVersions = true },
			extra: []func(fixture){withConfig("CONFIG_BLK_DEV_INITRD=y\nCONFIG_RD_GZIP=y\nCONFIG_MODVERSIONS=y\n")},
			code:  verify.CodeModuleSymbolVersion, bad: verify.Unbootable, in: []string{"no __versions section", "CONFIG_MODULE_FORCE_LOAD"}},
		{name: "no __versions, CONFIG_MODULE_FORCE_LOAD=y", mod: func(m *checktest.VersionedModule) { m.NoVersions = true },
			extra: []func(fixture){withConfig("CONFIG_BLK_DEV_INITRD=y\nCONFIG_RD_GZIP=y\nCONFIG_MODVERSIONS=y\nCONFIG_MODULE_FORCE_LOAD=y\n")}},
		{name: "a symbol nothing of the kernel records", mod: func(m *checktest.VersionedModule) {
			m.Versions = append(m.Versions, checktest.SymVersion{Name: "rare_symbol", CRC: 0x77})
			m.Imports = append(m.Imports, "rare_symbol")
		}, code: verify.CodeModuleSymbolVersion, bad: verify.CannotTell, in: []string{"rare_symbol", "linux-headers-" + kv}},
		{name: "Module.symvers agrees", mod: func(m *checktest.VersionedModule) {
			m.Versions = append(m.Versions, checktest.SymVersion{Name: "rare_symbol", CRC: 0x77})
			m.Imports = append(m.Imports, "rare_symbol")
		}, extra: []func(fixture){symvers("0x00000077\trare_symbol\tvmlinux\tEXPORT_SYMBOL\t\n")}},
		{name: "Module.symvers disagrees", mod: func(m *checktest.VersionedModule) {
			m.Versions = append(m.Versions, checktest.SymVersion{Name: "rare_symbol", CRC: 0x77})
			m.Imports = append(m.Imports, "rare_symbol")
		}, extra: []func(fixture){symvers("0x00000078\trare_symbol\tvmlinux\tEXPORT_SYMBOL\t\n")},
			code: verify.CodeModuleSymbolVersion, bad: verify.Unbootable, in: []string{"rare_symbol", "Module.symvers"}},
	}
}

// TestModuleLoadable runs every case with plain .ko files, read in place,
// and with .ko.gz ones: the initrd's copy of the kernel's own module, read
// whole with the image, then stands for the kernel's copy with the same
// bytes (kmod.Reference.Know), which must change no verdict nor message.
func TestModuleLoadable(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "ko", true: "ko.gz"}[gz], func(t *testing.T) { testModuleLoadable(t, gz) })
	}
}

func testModuleLoadable(t *testing.T, gz bool) {
	cases := loadCases(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := inTreeNVMe()
			tc.mod(&m)
			k := loadFixture(t, m, gz, tc.extra...)
			if tc.code == "" {
				for _, p := range k.Problems {
					if p.Verdict != verify.Bootable {
						t.Fatalf("verdict %v: %+v", k.Verdict, k.Problems)
					}
				}
				return
			}
			p := problem(t, k, tc.code)
			if p.Verdict != tc.bad || k.Verdict != tc.bad {
				t.Errorf("problem verdict %v, report %v; want %v: %+v", p.Verdict, k.Verdict, tc.bad, k.Problems)
			}
			for _, s := range tc.in {
				if !strings.Contains(p.Message+" "+p.Hint, s) {
					t.Errorf("message lacks %q: %s", s, p.Message)
				}
			}
		})
	}
}

// TestModuleLoadableExporters: a symbol a module imports from another
// module the image carries (spl's for zfs, both out of tree) is compared
// with that module's export, the CRC the kernel compares it with; nothing
// of the kernel's own build records it.
func TestModuleLoadableExporters(t *testing.T) {
	for _, tc := range []struct {
		name      string
		exportCRC uint32
		verdict   verify.Verdict
	}{
		{"the dependency exports it so", 0x77, verify.Bootable},
		{"the dependency exports it otherwise", 0x78, verify.Unbootable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := inTreeNVMe()
			m.Versions = append(m.Versions, checktest.SymVersion{Name: "core_only_symbol", CRC: 0x77})
			m.Imports = append(m.Imports, "core_only_symbol")
			core := checktest.VersionedModule{Name: "nvme_core", Vermagic: m.Vermagic,
				Versions: []checktest.SymVersion{{Name: "module_layout", CRC: 0x1111}},
				Exports:  []checktest.SymVersion{{Name: "core_only_symbol", CRC: tc.exportCRC}}}
			f := newFixture(t)
			checktest.WriteFile(t, filepath.Join(f.root, "lib/modules", kv, nvmePath), inTreeNVMe().ELF())
			mods := append(f.modules(t, rootNeeds, "nvme", "nvme_core"), checktest.Module{Path: nvmePath, Data: m.ELF()},
				checktest.Module{Path: "kernel/drivers/nvme/host/nvme-core.ko", Data: core.ELF()})
			checktest.Initrd{Version: kv, Modules: mods}.Write(t, f.root)
			k := check(t, f.request())
			if k.Verdict != tc.verdict {
				t.Fatalf("verdict %v, want %v: %+v", k.Verdict, tc.verdict, k.Problems)
			}
			if tc.verdict == verify.Unbootable {
				p := problem(t, k, verify.CodeModuleSymbolVersion)
				if !strings.Contains(p.Message, "symbol core_only_symbol CRC 0x00000077, kernel "+kv+"'s is 0x00000078 (exported so by the initrd's usr/lib/modules/"+kv+"/kernel/drivers/nvme/host/nvme-core.ko)") {
					t.Errorf("message: %s", p.Message)
				}
			}
		})
	}
}
