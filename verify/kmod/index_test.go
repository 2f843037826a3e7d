package kmod_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

const v = "6.1.0-13-amd64"

func load(t *testing.T, k kmodtest.Kernel) *kmod.Index {
	t.Helper()
	ix, err := kmod.Load(kmodtest.FS(k), k.Version)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return ix
}

func closure(t *testing.T, ix *kmod.Index, names ...string) []string {
	t.Helper()
	got, err := ix.Closure(names...)
	if err != nil {
		t.Fatalf("Closure(%v): %v", names, err)
	}
	return got
}

func loadable(ix *kmod.Index, names []string) []string {
	var out []string
	for _, n := range names {
		if m, _ := ix.Module(n); !m.Builtin {
			out = append(out, n)
		}
	}
	return out
}

// TestStorageStacks walks the machines boot-guard meets: the modalias the
// controller shows, the module it maps to, and the closure the initrd needs.
func TestStorageStacks(t *testing.T) {
	ix := load(t, kmodtest.Debian(v))
	// t10_pi and its CRCs, with crc_t10dif's and crc64_rocksoft's softdeps.
	t10 := []string{"crc64", "crc64_rocksoft", "crct10dif_common", "crct10dif_generic", "crc_t10dif", "t10_pi"}
	with := func(a []string, b ...string) []string { return append(append([]string(nil), a...), b...) }
	cases := []struct {
		name     string
		modalias string
		want     []string // Alias result
		closure  []string // of the first match, load order
	}{
		{"nvme", "pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i02", []string{"nvme"}, with(t10, "nvme_core", "nvme")},
		{"nvme apple quirk and class both match", "pci:v0000106Bd00002001sv0000106Bsd00000000bc01sc08i02", []string{"nvme"}, with(t10, "nvme_core", "nvme")},
		{"virtio-blk device", "virtio:d00000002v00001AF4", []string{"virtio_blk"}, []string{"virtio", "virtio_ring", "virtio_blk"}},
		{"virtio pci transport", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", []string{"virtio_pci"},
			[]string{"virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio", "virtio_ring", "virtio_pci"}},
		{"ahci", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", []string{"ahci"},
			[]string{"scsi_common", "scsi_mod", "libata", "libahci", "ahci"}},
		{"sata disk", "scsi:t-0x00", []string{"sd_mod"},
			with(t10, "scsi_common", "scsi_mod", "sd_mod")},
		{"virtio-scsi", "virtio:d00000008v00001AF4", []string{"virtio_scsi"},
			[]string{"scsi_common", "scsi_mod", "virtio", "virtio_ring", "virtio_scsi"}},
		{"mmc host", "pci:v00008086d00000F14sv00000000sd00000000bc08sc05i01", []string{"sdhci_pci"},
			[]string{"mmc_core", "cqhci", "sdhci", "sdhci_pci"}},
		{"mmc card", "mmc:block", []string{"mmc_block"}, []string{"mmc_core", "mmc_block"}},
		{"xen", "xen:vbd", []string{"xen_blkfront"}, []string{"xen_blkfront"}},
		{"filesystem via fs- alias", "fs-ext4", []string{"ext4"},
			[]string{"crc16", "mbcache", "crc32c_generic", "crc32c_intel", "jbd2", "ext4"}},
		{"ext3 served by ext4", "fs-ext3", []string{"ext4"}, nil},
		{"two drivers claim IDE-class", "pci:v00008086d00007010sv00000000sd00000000bc01sc01i80", []string{"ata_generic"}, nil},
		{"PCI bridge: nothing claims it", "pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i00", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ix.Alias(tc.modalias)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Alias(%q) = %v, want %v", tc.modalias, got, tc.want)
			}
			if tc.closure == nil {
				return
			}
			if c := closure(t, ix, got[0]); !reflect.DeepEqual(c, tc.closure) {
				t.Fatalf("Closure(%s) = %v, want %v", got[0], c, tc.closure)
			}
		})
	}
}

func TestModulePathsAndNames(t *testing.T) {
	k := kmodtest.Debian(v)
	k.Dep = append(k.Dep,
		"kernel/drivers/scsi/mpt3sas/mpt3sas.ko.xz: kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko",
		"kernel/drivers/md/dm-raid.ko.zst: kernel/drivers/md/dm-mod.ko",
		"updates/dkms/zfs.ko.gz:",
	)
	ix := load(t, k)
	cases := []struct{ name, wantName, wantPath string }{
		{"nvme-core", "nvme_core", "kernel/drivers/nvme/host/nvme-core.ko"},
		{"nvme_core", "nvme_core", "kernel/drivers/nvme/host/nvme-core.ko"},
		{"xen-blkfront.ko", "xen_blkfront", "kernel/drivers/block/xen-blkfront.ko"},
		{"mpt3sas", "mpt3sas", "kernel/drivers/scsi/mpt3sas/mpt3sas.ko.xz"},
		{"dm_raid", "dm_raid", "kernel/drivers/md/dm-raid.ko.zst"},
		{"zfs", "zfs", "updates/dkms/zfs.ko.gz"},
		{"kernel/drivers/md/dm-crypt.ko", "dm_crypt", "kernel/drivers/md/dm-crypt.ko"},
	}
	for _, tc := range cases {
		m, ok := ix.Module(tc.name)
		if !ok || m.Name != tc.wantName || m.Path != tc.wantPath || m.Builtin {
			t.Errorf("Module(%q) = %+v, %v; want %s at %s, loadable", tc.name, m, ok, tc.wantName, tc.wantPath)
		}
	}
	if m, ok := ix.Module("loop"); !ok || !m.Builtin || m.Path != "kernel/drivers/block/loop.ko" {
		t.Errorf("Module(loop) = %+v, %v; want builtin at kernel/drivers/block/loop.ko", m, ok)
	}
	if _, ok := ix.Module("nvmee"); ok {
		t.Errorf("Module(nvmee) found; want not found")
	}
	// Mutating a returned Module must not change the index.
	m, _ := ix.Module("nvme")
	m.Depends[0] = "changed"
	if m2, _ := ix.Module("nvme"); m2.Depends[0] != "nvme_core" {
		t.Errorf("Module returned the index's own slice")
	}
	for in, want := range map[string]string{
		"nvme-core": "nvme_core", "kernel/drivers/ata/ahci.ko.xz": "ahci", "sdhci-pci.ko.zst": "sdhci_pci",
		"crc64-rocksoft.ko.gz": "crc64_rocksoft", "ext4": "ext4",
	} {
		if got := kmod.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBuiltinInOneKernelModuleInAnother: the same driver is loadable in one
// kernel (the initrd must carry it) and compiled into the next (nothing to
// carry), and each index says so.
func TestBuiltinInOneKernelModuleInAnother(t *testing.T) {
	old := kmodtest.Debian("6.1.0-12-amd64")
	next := kmodtest.Debian("6.1.0-13-amd64")
	// In "next", ahci is compiled in: modules.dep loses it, modules.builtin and
	// modules.builtin.modinfo gain it, its alias moves to modinfo.
	var dep []string
	for _, l := range next.Dep {
		if !strings.HasPrefix(l, "kernel/drivers/ata/ahci.ko:") {
			dep = append(dep, l)
		}
	}
	next.Dep = dep
	var alias []string
	for _, l := range next.Alias {
		if !strings.HasSuffix(l, " ahci") {
			alias = append(alias, l)
		}
	}
	next.Alias = alias
	next.Builtin = append(next.Builtin, "kernel/drivers/ata/ahci.ko")
	next.Modinfo = append(next.Modinfo, "ahci.alias=pci:v*d*sv*sd*bc01sc06i01*", "ahci.file=drivers/ata/ahci")

	fsys := kmodtest.FS(old, next)
	const sata = "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01"
	for _, tc := range []struct {
		version string
		builtin bool
		closure []string
	}{
		{old.Version, false, []string{"scsi_common", "scsi_mod", "libata", "libahci", "ahci"}},
		{next.Version, true, nil},
	} {
		ix, err := kmod.Load(fsys, tc.version)
		if err != nil {
			t.Fatal(err)
		}
		if got := ix.Alias(sata); !reflect.DeepEqual(got, []string{"ahci"}) {
			t.Fatalf("%s: Alias = %v, want [ahci]", tc.version, got)
		}
		m, ok := ix.Module("ahci")
		if !ok || m.Builtin != tc.builtin {
			t.Fatalf("%s: Module(ahci) = %+v, %v; want builtin=%v", tc.version, m, ok, tc.builtin)
		}
		if got := loadable(ix, closure(t, ix, "ahci")); !reflect.DeepEqual(got, tc.closure) {
			t.Fatalf("%s: loadable closure of ahci = %v, want %v", tc.version, got, tc.closure)
		}
	}
}

func TestBuiltinAliasFromModinfo(t *testing.T) {
	ix := load(t, kmodtest.Debian(v))
	if got := ix.Alias("block-major-7-0"); !reflect.DeepEqual(got, []string{"loop"}) {
		t.Fatalf("Alias(block-major-7-0) = %v, want [loop] (builtin, from modules.builtin.modinfo)", got)
	}
	if _, ok := ix.Module("printk"); ok {
		t.Fatalf("printk.time (a parameter record) made printk a module")
	}
	if len(ix.Missing()) != 0 {
		t.Fatalf("Missing() = %v, want none", ix.Missing())
	}
}

func TestSoftdepPre(t *testing.T) {
	k := kmodtest.Debian(v)
	k.Dep = append(k.Dep, "kernel/drivers/a.ko:", "kernel/drivers/b.ko:", "kernel/drivers/c.ko:", "kernel/drivers/d.ko:")
	k.Softdep = append(k.Softdep,
		"a pre: b post: d",    // post: is not needed before a
		"b pre: c nosuchmod",  // unknown softdeps are skipped, as modprobe does
		"c pre: a",            // a cycle back to a
		"xen_blkfront pre: c", // softdep on a module with no deps
		"ghost pre: a",        // softdep of a module this kernel lacks
		"d a b c",             // names before any pre:/post: are ignored, as kmod does
	)
	ix := load(t, k)
	if got := closure(t, ix, "a"); !reflect.DeepEqual(got, []string{"c", "b", "a"}) {
		t.Fatalf("Closure(a) = %v, want [c b a]", got)
	}
	if got := closure(t, ix, "xen-blkfront"); !reflect.DeepEqual(got, []string{"b", "a", "c", "xen_blkfront"}) {
		t.Fatalf("Closure(xen-blkfront) = %v", got)
	}
	// jbd2's softdep names an alias, which resolves to every module behind it.
	got := closure(t, ix, "ext4")
	if !reflect.DeepEqual(got, []string{"crc16", "mbcache", "crc32c_generic", "crc32c_intel", "jbd2", "ext4"}) {
		t.Fatalf("Closure(ext4) = %v", got)
	}
	if got := closure(t, ix, "d"); !reflect.DeepEqual(got, []string{"d"}) {
		t.Fatalf("Closure(d) = %v, want [d]: names before pre: are not softdeps", got)
	}
	if m, _ := ix.Module("a"); !reflect.DeepEqual(m.SoftPre, []string{"b"}) {
		t.Fatalf("Module(a).SoftPre = %v, want [b]", m.SoftPre)
	}
	// Each module once, even when names overlap.
	if got := closure(t, ix, "xfs", "libcrc32c", "xfs"); !reflect.DeepEqual(got, []string{"crc32c_generic", "crc32c_intel", "libcrc32c", "xfs"}) {
		t.Fatalf("Closure(xfs, libcrc32c, xfs) = %v", got)
	}
}

// TestDepsLeaveSoftdepsOut: modules.dep's dependencies are what a module
// needs to load; a softdep is loaded first when it can be and skipped when it
// cannot (libkmod ignores a softdep's load error), so Deps has none and
// Softdeps lists them, each resolved to every module that would do.
func TestDepsLeaveSoftdepsOut(t *testing.T) {
	ix := load(t, kmodtest.Debian(v))
	deps := func(names ...string) []string {
		t.Helper()
		got, err := ix.Deps(names...)
		if err != nil {
			t.Fatalf("Deps(%v): %v", names, err)
		}
		return got
	}
	if got := deps("ext4"); !reflect.DeepEqual(got, []string{"crc16", "mbcache", "jbd2", "ext4"}) {
		t.Fatalf("Deps(ext4) = %v", got)
	}
	if got := deps("xfs"); !reflect.DeepEqual(got, []string{"libcrc32c", "xfs"}) {
		t.Fatalf("Deps(xfs) = %v", got)
	}
	crc := []string{"crc32c_generic", "crc32c_intel"}
	want := []kmod.Softdep{
		{Of: "jbd2", Name: "crypto-crc32c", Modules: crc},
		{Of: "ext4", Name: "crypto-crc32c", Modules: crc},
	}
	if got := ix.Softdeps("ext4"); !reflect.DeepEqual(got, want) {
		t.Fatalf("Softdeps(ext4) = %+v\nwant %+v", got, want)
	}
	// btrfs: its own four, and libcrc32c's (a hard dependency).
	var got []string
	for _, s := range ix.Softdeps("btrfs") {
		got = append(got, s.Of+":"+s.Name+"="+strings.Join(s.Modules, ","))
	}
	wantB := []string{"libcrc32c:crc32c=crc32c_generic,crc32c_intel", "btrfs:blake2b-256=", "btrfs:sha256=", "btrfs:xxhash64=", "btrfs:crypto-crc32c=crc32c_generic,crc32c_intel"}
	if !reflect.DeepEqual(got, wantB) {
		t.Fatalf("Softdeps(btrfs) = %q\nwant %q", got, wantB)
	}
	// A softdep on a module the set has anyway is no softdep to look for:
	// crc64_rocksoft's crc64 is a hard dependency of nvme.
	for _, s := range ix.Softdeps("nvme") {
		if s.Name == "crc64" {
			t.Fatalf("Softdeps(nvme) lists crc64, a hard dependency: %+v", s)
		}
	}
	if got := ix.Softdeps("nvme"); len(got) != 1 || got[0].Of != "crc_t10dif" || !reflect.DeepEqual(got[0].Modules, []string{"crct10dif_generic"}) {
		t.Fatalf("Softdeps(nvme) = %+v, want crc_t10dif's crct10dif", got)
	}
	if _, err := ix.Deps("nvmee"); !errors.Is(err, kmod.ErrUnknownModule) {
		t.Fatalf("Deps(nvmee) err = %v, want ErrUnknownModule", err)
	}
	// A built-in implementation comes first: it needs no file.
	bi := load(t, func() kmodtest.Kernel {
		k := kmodtest.Debian(v)
		k.Builtin = append(k.Builtin, "kernel/crypto/crc32c_generic.ko")
		k.Modinfo = append(k.Modinfo, "crc32c_generic.alias=crypto-crc32c", "crc32c_generic.alias=crc32c")
		return k
	}())
	if got := bi.Softdeps("ext4"); len(got) != 2 || !reflect.DeepEqual(got[1].Modules, []string{"crc32c_generic", "crc32c_intel"}) {
		t.Fatalf("Softdeps(ext4) with crc32c_generic built in = %+v", got)
	}
	bi2 := load(t, func() kmodtest.Kernel {
		k := kmodtest.Debian(v)
		k.Builtin = append(k.Builtin, "kernel/arch/x86/crypto/crc32c-intel.ko")
		k.Modinfo = append(k.Modinfo, "crc32c_intel.alias=crypto-crc32c")
		return k
	}())
	if got := bi2.Softdeps("ext4"); !reflect.DeepEqual(got[1].Modules, []string{"crc32c_intel", "crc32c_generic"}) {
		t.Fatalf("Softdeps(ext4) with crc32c_intel built in = %+v, want it first", got)
	}
}

// TestBuiltinDependency: a modules.dep dependency that is built into the
// kernel is satisfied, whether it has a line of its own (a stale .ko left
// behind) or none at all; one neither listed nor built in is a stale index.
func TestBuiltinDependency(t *testing.T) {
	k := kmodtest.Debian(v)
	k.Dep = append(k.Dep, "kernel/fs/foo.ko: kernel/lib/crc16.ko kernel/lib/bar.ko")
	k.Builtin = append(k.Builtin, "kernel/lib/crc16.ko", "kernel/lib/bar.ko")
	ix := load(t, k)
	for _, name := range []string{"crc16", "bar"} {
		if m, ok := ix.Module(name); !ok || !m.Builtin {
			t.Fatalf("Module(%s) = %+v, %v; want built in", name, m, ok)
		}
	}
	got, err := ix.Deps("foo")
	if err != nil || !reflect.DeepEqual(got, []string{"crc16", "bar", "foo"}) {
		t.Fatalf("Deps(foo) = %v, %v", got, err)
	}
	if l := loadable(ix, got); !reflect.DeepEqual(l, []string{"foo"}) {
		t.Fatalf("loadable of Deps(foo) = %v, want [foo]", l)
	}
	if got := loadable(ix, closure(t, ix, "ext4")); !reflect.DeepEqual(got, []string{"mbcache", "crc32c_generic", "crc32c_intel", "jbd2", "ext4"}) {
		t.Fatalf("loadable of Closure(ext4) = %v: crc16 is built in", got)
	}
	k.Builtin = k.Builtin[:len(k.Builtin)-1]
	if _, err := kmod.Load(kmodtest.FS(k), v); !errors.Is(err, kmod.ErrMalformed) || !strings.Contains(err.Error(), "dependency bar has no line of its own and is not built in") {
		t.Fatalf("Load with bar neither listed nor built in: %v", err)
	}
}

func TestClosureUnknown(t *testing.T) {
	ix := load(t, kmodtest.Debian(v))
	got, err := ix.Closure("xen-blkfront", "nvmee", "foo")
	if !errors.Is(err, kmod.ErrUnknownModule) {
		t.Fatalf("err = %v, want ErrUnknownModule", err)
	}
	for _, want := range []string{"nvmee, foo", "lib/modules/" + v + "/modules.dep"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if !reflect.DeepEqual(got, []string{"xen_blkfront"}) {
		t.Errorf("known part = %v, want [xen_blkfront]", got)
	}
}

func TestUsrLibModules(t *testing.T) {
	k := kmodtest.Debian(v)
	k.UsrLib = true
	ix := load(t, k)
	if ix.Dir() != "usr/lib/modules/"+v || ix.Version() != v {
		t.Fatalf("Dir() = %q, Version() = %q", ix.Dir(), ix.Version())
	}
	if _, ok := ix.Module("nvme"); !ok {
		t.Fatal("nvme not found under usr/lib/modules")
	}
}

func TestOptionalFilesMissing(t *testing.T) {
	k := kmodtest.Debian(v)
	k.Modinfo, k.Softdep = nil, nil
	ix := load(t, k)
	if got := ix.Missing(); !reflect.DeepEqual(got, []string{"modules.builtin.modinfo", "modules.softdep"}) {
		t.Fatalf("Missing() = %v", got)
	}
	if got := ix.Alias("block-major-7-0"); got != nil {
		t.Fatalf("Alias(block-major-7-0) = %v without modinfo, want none", got)
	}
	// Without modinfo a builtin module is still builtin through modules.builtin.
	if m, ok := ix.Module("loop"); !ok || !m.Builtin {
		t.Fatalf("Module(loop) = %+v, %v", m, ok)
	}
}

func TestMissingFiles(t *testing.T) {
	cases := []struct {
		name   string
		drop   func(*kmodtest.Kernel)
		target error
		says   []string
	}{
		{"modules.dep", func(k *kmodtest.Kernel) { k.Dep = nil }, kmod.ErrNoIndex,
			[]string{"lib/modules/" + v + "/modules.dep", "run depmod " + v}},
		{"modules.alias", func(k *kmodtest.Kernel) { k.Alias = nil }, kmod.ErrNoIndex,
			[]string{"modules.alias", "run depmod " + v}},
		{"modules.builtin", func(k *kmodtest.Kernel) { k.Builtin = nil }, kmod.ErrNoIndex,
			[]string{"modules.builtin", "reinstall"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := kmodtest.Debian(v)
			tc.drop(&k)
			ix, err := kmod.Load(kmodtest.FS(k), v)
			if ix != nil || !errors.Is(err, tc.target) {
				t.Fatalf("Load = %v, %v; want nil, %v", ix, err, tc.target)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
	t.Run("no modules directory", func(t *testing.T) {
		_, err := kmod.Load(kmodtest.FS(kmodtest.Debian(v)), "6.1.0-99-amd64")
		if !errors.Is(err, kmod.ErrNoModules) || !strings.Contains(err.Error(), "lib/modules/6.1.0-99-amd64") {
			t.Fatalf("err = %v, want ErrNoModules naming the directory", err)
		}
	})
	for _, bad := range []string{"", "..", ".", "../../etc", "a/b", "x\x00y"} {
		if _, err := kmod.Load(fstest.MapFS{}, bad); err == nil {
			t.Errorf("Load(version %q) succeeded", bad)
		}
	}
}

func TestMalformed(t *testing.T) {
	dir := "lib/modules/" + v + "/"
	cases := []struct {
		name string
		edit func(*kmodtest.Kernel)
		want string // exact error text
	}{
		{"dep without colon", func(k *kmodtest.Kernel) {
			k.Dep = []string{"kernel/a.ko:", "kernel/b.ko kernel/a.ko"}
		}, dir + `modules.dep:2: no ':' after the module path (want "PATH: DEPENDENCIES")`},
		{"dep not a module path", func(k *kmodtest.Kernel) {
			k.Dep = []string{"", "kernel/a.txt: kernel/b.ko"}
		}, dir + `modules.dep:2: "kernel/a.txt" is not a module path (want kernel/.../NAME.ko[.gz|.xz|.zst])`},
		{"dep bad dependency", func(k *kmodtest.Kernel) {
			k.Dep = []string{"kernel/a.ko: kernel/b"}
		}, dir + `modules.dep:1: dependency "kernel/b" of a is not a module path`},
		{"dep dangling dependency", func(k *kmodtest.Kernel) {
			k.Dep = []string{"kernel/a.ko:", "kernel/b.ko: kernel/c.ko kernel/a.ko"}
		}, dir + `modules.dep:2: dependency c has no line of its own and is not built in: the index is stale, run depmod ` + v},
		{"dep duplicate", func(k *kmodtest.Kernel) {
			k.Dep = []string{"kernel/a-b.ko:", "kernel/x.ko:", "updates/a_b.ko:"}
		}, dir + `modules.dep:3: module a_b listed again (first on line 1)`},
		{"alias short", func(k *kmodtest.Kernel) {
			k.Alias = []string{"pci:v*d* nvme", "pci:v*"}
		}, dir + `modules.alias:3: "alias pci:v*" is not "alias PATTERN MODULE"`},
		{"softdep no module", func(k *kmodtest.Kernel) {
			k.Softdep = []string{""}
		}, dir + `modules.softdep:2: "softdep" is not "softdep MODULE pre: ... post: ..."`},
		{"softdep section for a module name", func(k *kmodtest.Kernel) {
			k.Softdep = []string{"ext4 pre: a", "pre: b"}
		}, dir + `modules.softdep:3: "softdep pre: b" is not "softdep MODULE pre: ... post: ..."`},
		{"builtin with spaces", func(k *kmodtest.Kernel) {
			k.Builtin = []string{"kernel/a.ko", "kernel/b.ko kernel/c.ko"}
		}, dir + `modules.builtin:2: "kernel/b.ko kernel/c.ko" is not a module path (want kernel/.../NAME.ko)`},
		{"modinfo without key", func(k *kmodtest.Kernel) {
			k.Modinfo = []string{"loop.alias=x", "garbage"}
		}, dir + `modules.builtin.modinfo: record 2 at byte 13: "garbage" is not MODULE.KEY=VALUE`},
		{"modinfo empty alias", func(k *kmodtest.Kernel) {
			k.Modinfo = []string{"loop.alias="}
		}, dir + `modules.builtin.modinfo: record 1 at byte 0: empty alias for loop`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := kmodtest.Debian(v)
			tc.edit(&k)
			ix, err := kmod.Load(kmodtest.FS(k), v)
			if ix != nil || err == nil {
				t.Fatalf("Load succeeded; want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Fatalf("error\n got %q\nwant %q", err, tc.want)
			}
			var se *kmod.SyntaxError
			if !errors.Is(err, kmod.ErrMalformed) || !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError wrapping ErrMalformed", err)
			}
		})
	}
	t.Run("alias line that is not an alias", func(t *testing.T) {
		fsys := kmodtest.FS(kmodtest.Debian(v))
		fsys[dir+"modules.alias"] = &fstest.MapFile{Data: []byte("# comment\n\nalias a b\noptions nvme x=1\n")}
		_, err := kmod.Load(fsys, v)
		if err == nil || err.Error() != dir+`modules.alias:4: "options nvme x=1" is not "alias PATTERN MODULE"` {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("line too long", func(t *testing.T) {
		fsys := kmodtest.FS(kmodtest.Debian(v))
		fsys[dir+"modules.builtin"] = &fstest.MapFile{Data: []byte("kernel/a.ko\n" + strings.Repeat("x", 2<<20) + "\n")}
		_, err := kmod.Load(fsys, v)
		if !errors.Is(err, kmod.ErrMalformed) || !strings.Contains(err.Error(), "modules.builtin:2: longer than") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAbsoluteDepPaths(t *testing.T) {
	// depmod from module-init-tools wrote absolute paths.
	k := kmodtest.Kernel{Version: v,
		Dep:   []string{"/lib/modules/" + v + "/kernel/drivers/nvme/host/nvme.ko: /lib/modules/" + v + "/kernel/drivers/nvme/host/nvme-core.ko", "/lib/modules/" + v + "/kernel/drivers/nvme/host/nvme-core.ko:"},
		Alias: []string{}, Builtin: []string{},
	}
	ix := load(t, k)
	if m, _ := ix.Module("nvme"); m.Path != "kernel/drivers/nvme/host/nvme.ko" {
		t.Fatalf("Path = %q, want it relative to the modules directory", m.Path)
	}
	if got := closure(t, ix, "nvme"); !reflect.DeepEqual(got, []string{"nvme_core", "nvme"}) {
		t.Fatalf("Closure = %v", got)
	}
}

// FuzzLoad feeds arbitrary bytes as each index file: Load never panics and
// returns either an index or an error, never both.
func FuzzLoad(f *testing.F) {
	k := kmodtest.Debian(v)
	files := k.Files()
	dir := "lib/modules/" + v + "/"
	f.Add(uint8(0), []byte(files[dir+"modules.dep"]))
	f.Add(uint8(1), []byte(files[dir+"modules.alias"]))
	f.Add(uint8(2), []byte(files[dir+"modules.softdep"]))
	f.Add(uint8(3), []byte(files[dir+"modules.builtin"]))
	f.Add(uint8(4), []byte(files[dir+"modules.builtin.modinfo"]))
	f.Add(uint8(5), kmodtest.AliasBin(k.Alias)) // issue 16 item 3
	names := []string{"modules.dep", "modules.alias", "modules.softdep", "modules.builtin", "modules.builtin.modinfo", "modules.alias.bin"}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fsys := kmodtest.FS(k)
		fsys[dir+names[int(which)%len(names)]] = &fstest.MapFile{Data: data}
		ix, err := kmod.Load(fsys, v)
		if (ix == nil) == (err == nil) {
			t.Fatalf("Load returned index %v and error %v", ix != nil, err)
		}
		if ix != nil {
			for _, n := range ix.Names() {
				if _, err := ix.Closure(n); err != nil {
					t.Fatalf("Closure(%s) of a listed module: %v", n, err)
				}
			}
			ix.Alias(realModalias)
			ix.Alias("fs-ext4")
		}
	})
}

func TestStaleAlias(t *testing.T) {
	k := kmodtest.Debian(v)
	k.Alias = append(k.Alias, "virtio:d00000002v* gone_driver", "crc32c gone_driver")
	ix := load(t, k)
	if got := ix.Alias("virtio:d00000002v00001AF4"); !reflect.DeepEqual(got, []string{"virtio_blk"}) {
		t.Fatalf("Alias = %v: a module modules.dep lacks must not be offered", got)
	}
	if got := closure(t, ix, "libcrc32c"); !reflect.DeepEqual(got, []string{"crc32c_generic", "crc32c_intel", "libcrc32c"}) {
		t.Fatalf("Closure(libcrc32c) = %v", got)
	}
}
