package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

const kver = "6.1.0-13-amd64"

func debianIndex(t *testing.T, edit ...func(*kmodtest.Kernel)) *kmod.Index {
	t.Helper()
	k := kmodtest.Debian(kver)
	for _, e := range edit {
		e(&k)
	}
	ix, err := kmod.Load(kmodtest.FS(k), kver)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// t10 is t10_pi with its CRCs, which NVMe and SCSI disks pull in (not
// crct10dif_generic: crc_t10dif's softdep, which it does without).
var t10 = []string{"crc64", "crc64_rocksoft", "crct10dif_common", "crc_t10dif", "t10_pi"}

func cat(a []string, b ...string) []string { return append(append([]string(nil), a...), b...) }

// ext4Closure is what modules.dep requires; crc32c comes as a softdep.
var ext4Closure = []string{"crc16", "mbcache", "jbd2", "ext4"}

type wantNeed struct {
	module  string
	builtin bool
	closure []string
	alts    []string
	reason  string
}

func checkNeeds(t *testing.T, got []Need, want []wantNeed) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d needs, want %d:\n%s", len(got), len(want), dump(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Module != w.module || g.Builtin != w.builtin || !reflect.DeepEqual(g.Closure, w.closure) ||
			!reflect.DeepEqual(g.Alternatives, w.alts) || (w.reason != "" && g.Reason != w.reason) {
			t.Errorf("need %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func dump(ns []Need) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString("  " + n.Module + " builtin=" + boolStr(n.Builtin) + " closure=" + strings.Join(n.Closure, ",") + " alts=" + strings.Join(n.Alternatives, ",") + " reason=" + n.Reason + "\n")
	}
	return b.String()
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func fsNeed(t string) rootdev.Need {
	return rootdev.Need{Kind: rootdev.NeedFilesystem, Value: t, Reason: "filesystem " + t + ", mounted at /"}
}

func TestResolveStorageStacks(t *testing.T) {
	ix := debianIndex(t)
	nvmeChain := "disk nvme0n1, partition nvme0n1p2, mounted at /"
	cases := []struct {
		name  string
		needs []rootdev.Need
		want  []wantNeed
	}{
		{"nvme", []rootdev.Need{
			fsNeed("ext4"),
			{Kind: rootdev.NeedModalias, Value: "pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i02", Bound: "nvme",
				Reason: "driver for PCI 0000:02:00.0, " + nvmeChain},
			{Kind: rootdev.NeedModalias, Value: "pci:v00008086d0000A110sv00001028sd00000000bc06sc04i00", BuiltinDriver: "pcieport",
				Reason: "driver for PCI 0000:00:1c.0, " + nvmeChain},
		}, []wantNeed{
			{"ext4", false, ext4Closure, nil, "filesystem ext4, mounted at /"},
			{"nvme", false, cat(t10, "nvme_core", "nvme"), nil, "driver for PCI 0000:02:00.0, " + nvmeChain},
		}},
		{"virtio-blk", []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "virtio:d00000002v00001AF4", Bound: "virtio_blk", Reason: "driver for virtio device virtio1, disk vda, mounted at /"},
			{Kind: rootdev.NeedModalias, Value: "pci:v00001AF4d00001042sv00001AF4sd00001042bc01sc80i00", Bound: "virtio_pci", Reason: "driver for PCI 0000:00:02.0, disk vda, mounted at /"},
			fsNeed("xfs"),
		}, []wantNeed{
			{"virtio_blk", false, []string{"virtio", "virtio_ring", "virtio_blk"}, nil, ""},
			{"virtio_pci", false, []string{"virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio", "virtio_ring", "virtio_pci"}, nil, ""},
			{"xfs", false, []string{"libcrc32c", "xfs"}, nil, ""},
		}},
		{"ahci sata", []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "scsi:t-0x00", Bound: "sd_mod", Reason: "driver for SCSI device 0:0:0:0, disk sda, mounted at /"},
			{Kind: rootdev.NeedModalias, Value: "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", Bound: "ahci", Reason: "driver for PCI 0000:00:1f.2, disk sda, mounted at /"},
			fsNeed("btrfs"),
		}, []wantNeed{
			{"sd_mod", false, cat(t10, "scsi_common", "scsi_mod", "sd_mod"), nil, ""},
			{"ahci", false, []string{"scsi_common", "scsi_mod", "libata", "libahci", "ahci"}, nil, ""},
			{"btrfs", false, []string{"xor", "raid6_pq", "libcrc32c", "btrfs"}, nil, ""},
		}},
		{"virtio-scsi", []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "scsi:t-0x00", Bound: "sd_mod", Reason: "driver for SCSI device 2:0:0:0, disk sda, mounted at /"},
			{Kind: rootdev.NeedModalias, Value: "virtio:d00000008v00001AF4", Bound: "virtio_scsi", Reason: "driver for virtio device virtio2, disk sda, mounted at /"},
			{Kind: rootdev.NeedModalias, Value: "pci:v00001AF4d00001048sv00001AF4sd00001100bc01sc00i00", Bound: "virtio_pci", Reason: "driver for PCI 0000:00:03.0, disk sda, mounted at /"},
		}, []wantNeed{
			{"sd_mod", false, cat(t10, "scsi_common", "scsi_mod", "sd_mod"), nil, ""},
			{"virtio_scsi", false, []string{"scsi_common", "scsi_mod", "virtio", "virtio_ring", "virtio_scsi"}, nil, ""},
			{"virtio_pci", false, []string{"virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio", "virtio_ring", "virtio_pci"}, nil, ""},
		}},
		{"mmc", []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "mmc:block", Bound: "mmc_block", Reason: "driver for MMC card mmc0:0001, disk mmcblk0, mounted at /"},
			{Kind: rootdev.NeedModalias, Value: "pci:v00008086d00000F14sv00000000sd00000000bc08sc05i01", Bound: "sdhci_pci", Reason: "driver for PCI 0000:00:17.0, disk mmcblk0, mounted at /"},
		}, []wantNeed{
			{"mmc_block", false, []string{"mmc_core", "mmc_block"}, nil, ""},
			{"sdhci_pci", false, []string{"mmc_core", "cqhci", "sdhci", "sdhci_pci"}, nil, ""},
		}},
		{"xen", []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "xen:vbd", Bound: "xen_blkfront", Reason: "driver for xen device vbd-51712, disk xvda, mounted at /"},
		}, []wantNeed{
			{"xen_blkfront", false, []string{"xen_blkfront"}, nil, ""},
		}},
		{"dm-crypt and md layers by name", []rootdev.Need{
			{Kind: rootdev.NeedModule, Value: "dm_mod", Reason: "needed by LUKS dm-0, mounted at /"},
			{Kind: rootdev.NeedModule, Value: "dm-crypt", Reason: "needed by LUKS dm-0, mounted at /"},
			{Kind: rootdev.NeedModule, Value: "md_mod", Reason: "needed by RAID md0, mounted at /"},
			{Kind: rootdev.NeedModule, Value: "md-raid1", Reason: "needed by RAID md0, mounted at /"}, // an alias, as modprobe takes it
		}, []wantNeed{
			{"dm_mod", false, []string{"dm_mod"}, nil, ""},
			{"dm_crypt", false, []string{"dm_mod", "dm_crypt"}, nil, ""},
			{"md_mod", false, []string{"md_mod"}, nil, ""},
			{"raid1", false, []string{"md_mod", "raid1"}, nil, ""},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			needs, problems := ResolveNeeds(&rootdev.Result{Needs: tc.needs}, ix, nil)
			for _, p := range problems {
				if p.Verdict != Bootable {
					t.Errorf("unexpected problem %+v", p)
				}
			}
			checkNeeds(t, needs, tc.want)
		})
	}
}

// TestBuiltinVersusModule: the same machine needs ahci in the initrd on one
// kernel and nothing on the next, where it is built in.
func TestBuiltinVersusModule(t *testing.T) {
	res := &rootdev.Result{Needs: []rootdev.Need{
		{Kind: rootdev.NeedModalias, Value: "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", Bound: "ahci", Reason: "driver for PCI 0000:00:1f.2, disk sda, mounted at /"},
	}}
	mod := debianIndex(t)
	builtin := debianIndex(t, func(k *kmodtest.Kernel) {
		var dep, alias []string
		for _, l := range k.Dep {
			if !strings.HasPrefix(l, "kernel/drivers/ata/ahci.ko:") {
				dep = append(dep, l)
			}
		}
		for _, l := range k.Alias {
			if !strings.HasSuffix(l, " ahci") {
				alias = append(alias, l)
			}
		}
		k.Dep, k.Alias = dep, alias
		k.Builtin = append(k.Builtin, "kernel/drivers/ata/ahci.ko")
		k.Modinfo = append(k.Modinfo, "ahci.alias=pci:v*d*sv*sd*bc01sc06i01*")
	})
	n, p := ResolveNeeds(res, mod, nil)
	checkNeeds(t, n, []wantNeed{{"ahci", false, []string{"scsi_common", "scsi_mod", "libata", "libahci", "ahci"}, nil, ""}})
	if len(p) != 0 {
		t.Fatalf("problems %+v", p)
	}
	n, p = ResolveNeeds(res, builtin, nil)
	checkNeeds(t, n, []wantNeed{{"ahci", true, nil, nil, ""}})
	if len(p) != 0 {
		t.Fatalf("problems %+v", p)
	}
}

func TestSeveralModulesClaimOneDevice(t *testing.T) {
	ix := debianIndex(t, func(k *kmodtest.Kernel) {
		k.Dep = append(k.Dep, "kernel/drivers/ata/ata_piix.ko: kernel/drivers/ata/libata.ko kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko")
		k.Alias = append(k.Alias, "pci:v00008086d00007010sv*sd*bc*sc*i* ata_piix")
	})
	ide := "pci:v00008086d00007010sv00000000sd00000000bc01sc01i80"
	reason := "driver for PCI 0000:00:01.1, disk sda, mounted at /"
	for _, tc := range []struct {
		bound string
		want  wantNeed
	}{
		// Bound now: preferred; the other stays an alternative.
		{"ata_piix", wantNeed{"ata_piix", false, []string{"scsi_common", "scsi_mod", "libata", "ata_piix"}, []string{"ata_generic"}, reason}},
		{"ata_generic", wantNeed{"ata_generic", false, []string{"scsi_common", "scsi_mod", "libata", "ata_generic"}, []string{"ata_piix"}, reason}},
		// Nothing bound: the first by name.
		{"", wantNeed{"ata_generic", false, []string{"scsi_common", "scsi_mod", "libata", "ata_generic"}, []string{"ata_piix"}, reason}},
	} {
		n, p := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{{Kind: rootdev.NeedModalias, Value: ide, Bound: tc.bound, Reason: reason}}}, ix, nil)
		if len(p) != 0 {
			t.Fatalf("problems %+v", p)
		}
		checkNeeds(t, n, []wantNeed{tc.want})
	}
	// A built-in alternative satisfies the need with nothing in the initrd.
	ix = debianIndex(t, func(k *kmodtest.Kernel) {
		k.Builtin = append(k.Builtin, "kernel/drivers/ata/pata_builtin.ko")
		k.Modinfo = append(k.Modinfo, "pata_builtin.alias=pci:v00008086d00007010sv*sd*bc*sc*i*")
	})
	n, _ := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{{Kind: rootdev.NeedModalias, Value: ide, Bound: "ata_generic", Reason: reason}}}, ix, nil)
	checkNeeds(t, n, []wantNeed{{"pata_builtin", true, nil, []string{"ata_generic"}, reason}})
}

func TestUnclaimedDevices(t *testing.T) {
	ix := debianIndex(t)
	chain := "disk sdb, mounted at /"
	t.Run("bound driver the kernel has by name", func(t *testing.T) {
		// A vendor ID the kernel's table lacks, driven now through new_id.
		n, p := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "pci:v00001234d00005678sv00000000sd00000000bc01sc04i00", Bound: "ahci", Reason: "driver for PCI 0000:03:00.0, " + chain},
		}}, ix, nil)
		if len(p) != 0 {
			t.Fatalf("problems %+v", p)
		}
		checkNeeds(t, n, []wantNeed{{"ahci", false, []string{"scsi_common", "scsi_mod", "libata", "libahci", "ahci"}, nil, ""}})
		if !strings.Contains(n[0].Reason, "bound now") {
			t.Errorf("reason %q does not say the driver is bound now", n[0].Reason)
		}
	})
	t.Run("no driver, no match", func(t *testing.T) {
		n, p := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "scsi:t-0x00", Bound: "sd_mod", Reason: "driver for SCSI device 0:0:0:0, " + chain},
			// A bridge above the disk: nothing claims it, nothing drives it.
			{Kind: rootdev.NeedModalias, Value: "pci:v00008086d00001237sv00000000sd00000000bc06sc00i00", Reason: "driver for PCI 0000:00:00.0, " + chain},
		}}, ix, nil)
		if len(n) != 1 || len(p) != 0 {
			t.Fatalf("needs %s problems %+v; want sd_mod only and no problem", dump(n), p)
		}
	})
	t.Run("disk's own controller unclaimed and undriven", func(t *testing.T) {
		n, p := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "pci:v0000ABCDd00000001sv00000000sd00000000bc01sc07i00", Reason: "driver for PCI 0000:05:00.0, " + chain},
		}}, ix, nil)
		if len(n) != 0 || len(p) != 1 || p[0].Code != CodeDeviceUnclaimed || p[0].Verdict != Bootable {
			t.Fatalf("needs %s problems %+v; want one note", dump(n), p)
		}
		if !strings.Contains(p[0].Message, "PCI 0000:05:00.0") {
			t.Errorf("note %q does not name the device", p[0].Message)
		}
	})
	t.Run("pcieport on a root port above the disk", func(t *testing.T) {
		n, p := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i02", Bound: "nvme", Reason: "driver for PCI 0000:02:00.0, " + chain},
			{Kind: rootdev.NeedModalias, Value: "pci:v00008086d0000A110sv00001028sd00000000bc06sc04i00", BuiltinDriver: "pcieport", Reason: "driver for PCI 0000:00:1c.0, " + chain},
		}}, ix, nil)
		if len(n) != 1 || len(p) != 0 {
			t.Fatalf("needs %s problems %+v; want nvme alone", dump(n), p)
		}
	})
	t.Run("disk's controller driven by a built-in driver", func(t *testing.T) {
		n, p := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "platform:custom-sata", BuiltinDriver: "custom_sata", Reason: "driver for platform device custom-sata.0, " + chain},
		}}, ix, nil)
		if len(n) != 0 || len(p) != 1 || p[0].Verdict != Bootable || !strings.Contains(p[0].Message, "built-in driver custom_sata") {
			t.Fatalf("needs %s problems %+v; want one note", dump(n), p)
		}
	})
	t.Run("driven by a module the kernel lacks", func(t *testing.T) {
		// A DKMS driver whose build failed for this kernel.
		_, p := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "pci:v00001000d000000AFsv00001000sd00000000bc01sc07i00", Bound: "vendor_hba", Reason: "driver for PCI 0000:05:00.0, " + chain},
		}}, ix, nil)
		if len(p) != 1 || p[0].Verdict != Unbootable || p[0].Code != CodeModuleUnknown || !strings.Contains(p[0].Hint, "dkms status") {
			t.Fatalf("problems %+v; want one unbootable naming dkms", p)
		}
	})
}

func TestFilesystems(t *testing.T) {
	ix := debianIndex(t, func(k *kmodtest.Kernel) {
		// zfs from DKMS registers no fs- alias: found by its name.
		k.Dep = append(k.Dep, "updates/dkms/zfs.ko:")
	})
	for _, tc := range []struct {
		fstype string
		want   string
	}{{"ext4", "ext4"}, {"ext3", "ext4"}, {"ext2", "ext4"}, {"btrfs", "btrfs"}, {"zfs", "zfs"}} {
		n, p := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{fsNeed(tc.fstype)}}, ix, nil)
		if len(p) != 0 || len(n) != 1 || n[0].Module != tc.want {
			t.Errorf("%s: needs %s problems %+v; want %s", tc.fstype, dump(n), p, tc.want)
		}
	}
	_, p := ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{fsNeed("reiserfs")}}, ix, nil)
	if len(p) != 1 || p[0].Code != CodeFilesystemUnsupported || p[0].Verdict != Unbootable {
		t.Fatalf("reiserfs: problems %+v; want unbootable filesystem-unsupported", p)
	}
	// Without modules.builtin.modinfo, a built-in filesystem is invisible:
	// cannot tell, not unbootable.
	old := debianIndex(t, func(k *kmodtest.Kernel) { k.Modinfo = nil })
	_, p = ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{fsNeed("reiserfs")}}, old, nil)
	if len(p) != 1 || p[0].Verdict != CannotTell || !strings.Contains(p[0].Message, "modules.builtin.modinfo is missing") {
		t.Fatalf("problems %+v", p)
	}
}

func TestExtraModules(t *testing.T) {
	ix := debianIndex(t)
	n, p := ResolveNeeds(nil, ix, []string{"nvme", "virtio-blk", "loop", "nvmee", "", "dm-crypt"})
	checkNeeds(t, n, []wantNeed{
		{"nvme", false, cat(t10, "nvme_core", "nvme"), nil, ExtraReason},
		{"virtio_blk", false, []string{"virtio", "virtio_ring", "virtio_blk"}, nil, ExtraReason},
		{"loop", true, nil, nil, ExtraReason},
		{"dm_crypt", false, []string{"dm_mod", "dm_crypt"}, nil, ExtraReason},
	})
	if len(p) != 1 {
		t.Fatalf("problems %+v; want one for nvmee", p)
	}
	want := "kernel " + kver + " has no module nvmee: neither its modules.dep nor its built-in list names it; check the name"
	if p[0].Code != CodeModuleUnknown || p[0].Verdict != Unbootable || !strings.HasPrefix(p[0].Message, want) {
		t.Fatalf("problem %+v; want unbootable %q", p[0], want)
	}
	if !strings.Contains(p[0].Hint, "did you mean nvme?") {
		t.Errorf("hint %q does not suggest nvme", p[0].Hint)
	}
}

func TestMergedReasonsAndUnknown(t *testing.T) {
	ix := debianIndex(t)
	res := &rootdev.Result{
		Needs: []rootdev.Need{
			{Kind: rootdev.NeedModalias, Value: "pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i02", Bound: "nvme", Reason: "driver for PCI 0000:02:00.0, disk nvme0n1, mounted at /"},
			{Kind: rootdev.NeedModalias, Value: "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02", Bound: "nvme", Reason: "driver for PCI 0000:03:00.0, disk nvme1n1, mounted at /usr"},
		},
		Unknown: []string{"/ is on overlay: a container's root has no block device to check"},
	}
	n, p := ResolveNeeds(res, ix, []string{"nvme"})
	if len(n) != 1 {
		t.Fatalf("needs %s; want one nvme", dump(n))
	}
	for _, s := range []string{"PCI 0000:02:00.0", "PCI 0000:03:00.0", ExtraReason} {
		if !strings.Contains(n[0].Reason, s) {
			t.Errorf("merged reason %q lacks %q", n[0].Reason, s)
		}
	}
	if len(p) != 1 || p[0].Code != CodeDevicesUnknown || p[0].Verdict != CannotTell || !strings.Contains(p[0].Message, "overlay") {
		t.Fatalf("problems %+v; want the Unknown entry as cannot-tell", p)
	}
}

// softdeps renders a need's softdeps as "OF:NAME=MODULES!" (! when essential).
func softdeps(n Need) []string {
	var out []string
	for _, s := range n.Softdeps {
		e := ""
		if s.Essential != "" {
			e = "!"
		}
		out = append(out, s.Of+":"+s.Name+"="+strings.Join(s.Modules, ",")+e)
	}
	return out
}

// TestSoftdeps: a softdep is no hard requirement (modprobe ignores its load
// error); the crc32c that ext4, jbd2, btrfs and libcrc32c ask the crypto API
// for at mount or load time is, as any one of the modules that provide it.
func TestSoftdeps(t *testing.T) {
	res := &rootdev.Result{Needs: []rootdev.Need{fsNeed("ext4"),
		{Kind: rootdev.NeedModalias, Value: "pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i02", Bound: "nvme", Reason: "driver for PCI 0000:02:00.0, disk nvme0n1, mounted at /"},
		fsNeed("xfs")}}
	needs, problems := ResolveNeeds(res, debianIndex(t), nil)
	if len(problems) != 0 {
		t.Fatalf("problems %+v", problems)
	}
	want := [][]string{
		{"jbd2:crypto-crc32c=crc32c_generic,crc32c_intel!", "ext4:crypto-crc32c=crc32c_generic,crc32c_intel!"},
		{"crc_t10dif:crct10dif=crct10dif_generic"},
		{"libcrc32c:crc32c=crc32c_generic,crc32c_intel!"},
	}
	for i, n := range needs {
		if got := softdeps(n); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("%s softdeps = %q, want %q", n.Module, got, want[i])
		}
	}
	var got []string
	for _, r := range RequirementsOf(needs) {
		got = append(got, r.Module+"="+string(r.Status))
	}
	wantReqs := []string{"ext4=loadable", "crc16=loadable", "mbcache=loadable", "jbd2=loadable", "crc32c_generic=loadable",
		"nvme=loadable", "crc64=loadable", "crc64_rocksoft=loadable", "crct10dif_common=loadable", "crc_t10dif=loadable", "t10_pi=loadable", "nvme_core=loadable",
		"xfs=loadable", "libcrc32c=loadable"}
	if !reflect.DeepEqual(got, wantReqs) {
		t.Fatalf("RequirementsOf = %q\nwant %q", got, wantReqs)
	}

	// crc32c built in: the requirement is met by the kernel.
	builtin := debianIndex(t, func(k *kmodtest.Kernel) {
		k.Builtin = append(k.Builtin, "kernel/arch/x86/crypto/crc32c-intel.ko")
		k.Modinfo = append(k.Modinfo, "crc32c_intel.alias=crypto-crc32c", "crc32c_intel.alias=crc32c")
	})
	needs, problems = ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{fsNeed("ext4")}}, builtin, nil)
	if len(problems) != 0 || len(needs) != 1 || !needs[0].Softdeps[1].Builtin || needs[0].Softdeps[1].Modules[0] != "crc32c_intel" {
		t.Fatalf("needs %+v, problems %+v", needs, problems)
	}
	if r := RequirementsOf(needs); r[len(r)-1].Module != "crc32c_intel" || r[len(r)-1].Status != StatusBuiltin {
		t.Fatalf("RequirementsOf = %+v, want crc32c_intel built in last", r)
	}

	// No crc32c at all in the kernel: ext4 loads but cannot mount.
	none := func(k *kmodtest.Kernel) {
		var dep, alias []string
		for _, l := range k.Dep {
			if !strings.Contains(l, "crc32c-intel.ko:") && !strings.Contains(l, "crc32c_generic.ko:") {
				dep = append(dep, l)
			}
		}
		for _, l := range k.Alias {
			if !strings.Contains(l, "crc32c_") {
				alias = append(alias, l)
			}
		}
		k.Dep, k.Alias = dep, alias
	}
	_, problems = ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{fsNeed("ext4"), fsNeed("xfs")}, Unknown: nil}, debianIndex(t, none), []string{"btrfs"})
	if len(problems) != 2 {
		t.Fatalf("problems %+v, want one for crypto-crc32c (jbd2's and ext4's, then btrfs's) and one for crc32c (libcrc32c's)", problems)
	}
	if !strings.Contains(problems[1].Message, "has no module for crc32c (a softdep of libcrc32c)") {
		t.Errorf("second problem %q", problems[1].Message)
	}
	p := problems[0]
	for _, w := range []string{"kernel " + kver + " has no module for crypto-crc32c (a softdep of jbd2 and ext4)", "Cannot load crc32c driver", "filesystem ext4, mounted at /"} {
		if !strings.Contains(p.Message, w) {
			t.Errorf("message %q lacks %q", p.Message, w)
		}
	}
	if p.Code != CodeModuleUnknown || p.Verdict != Unbootable || !strings.Contains(p.Hint, "grep -i crc32c /boot/config-"+kver) {
		t.Errorf("problem %+v", p)
	}
	// Without modules.builtin.modinfo a built-in crc32c would not show.
	_, problems = ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{fsNeed("ext4")}}, debianIndex(t, none, func(k *kmodtest.Kernel) { k.Modinfo = nil }), nil)
	if len(problems) != 1 || problems[0].Verdict != CannotTell {
		t.Fatalf("problems %+v, want cannot-tell", problems)
	}
	// A softdep that is not essential and resolves to nothing is no problem
	// (btrfs's blake2b-256 in this index): modprobe skips it.
	_, problems = ResolveNeeds(&rootdev.Result{Needs: []rootdev.Need{fsNeed("btrfs")}}, debianIndex(t), nil)
	if len(problems) != 0 {
		t.Fatalf("btrfs problems %+v", problems)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"nvme", "nvme", 0}, {"nvmee", "nvme", 1}, {"ahci", "achi", 2}, {"xfs", "ext4", 3}, {"a", "abcdef", 3}} {
		if got := editDistance(tc.a, tc.b, 2); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestLiveRequirements resolves this machine's root device against every real
// module index on it. It checks only what must hold anywhere: no panic, every
// need has a reason, every loadable need's closure ends with the module.
func TestLiveRequirements(t *testing.T) {
	deps, _ := filepath.Glob("/lib/modules/*/modules.dep")
	if len(deps) == 0 {
		t.Skip("no /lib/modules/*/modules.dep on this machine: install a kernel (apt-get install linux-image-amd64) to run this")
	}
	res, err := rootdev.Discover(os.DirFS("/sys"), os.DirFS("/proc"))
	if err != nil {
		t.Skipf("this machine's root device: %v", err)
	}
	for _, d := range deps {
		ver := filepath.Base(filepath.Dir(d))
		ix, err := kmod.Load(os.DirFS("/"), ver)
		if err != nil {
			t.Fatalf("%s: %v", ver, err)
		}
		needs, problems := ResolveNeeds(res, ix, nil)
		for _, n := range needs {
			t.Logf("%s: %s builtin=%v closure=%v alternatives=%v: %s", ver, n.Module, n.Builtin, n.Closure, n.Alternatives, n.Reason)
			if n.Reason == "" || (!n.Builtin && (len(n.Closure) == 0 || n.Closure[len(n.Closure)-1] != n.Module)) {
				t.Errorf("need %+v", n)
			}
		}
		for _, p := range problems {
			t.Logf("%s: problem %s (%s): %s", ver, p.Code, p.Verdict, p.Message)
		}
	}
}

// TestRequirementsRequest: what Check and `requirements` share, and where
// their wording differs (Listing, Under).
func TestRequirementsRequest(t *testing.T) {
	root := t.TempDir()
	kmodtest.Debian(kver).WriteDir(t, root)
	messages := func(r RootNeeds) string {
		var s []string
		for _, p := range r.Problems {
			s = append(s, fmt.Sprintf("%s %s: %s | %s", p.Code, p.Verdict, p.Message, p.Hint))
		}
		return strings.Join(s, "\n")
	}

	r := Requirements(RequirementsRequest{Root: root, Version: kver, Modules: []string{"nvme"}})
	if r.Index == nil || !r.Known || len(r.Needs) != 1 || r.Needs[0].Module != "nvme" || len(r.Problems) != 0 {
		t.Fatalf("nvme: %+v\n%s", r, messages(r))
	}
	for _, tc := range []struct {
		req  RequirementsRequest
		want string
	}{
		{RequirementsRequest{}, "no /sys and /proc describe the machine it will boot on (boot-guard runs under --root, in a chroot or in a container)"},
		{RequirementsRequest{Listing: true}, "there is no /sys and /proc to read here (a chroot or a container)"},
		{RequirementsRequest{Listing: true, Under: true}, "under --root, /sys and /proc describe the machine boot-guard runs on"},
	} {
		tc.req.Root, tc.req.Version = root, kver
		r := Requirements(tc.req)
		if r.Known || len(r.Problems) != 1 || r.Problems[0].Code != CodeDevicesUnknown || !strings.Contains(r.Problems[0].Message, tc.want) ||
			r.Problems[0].Hint != `name them with --module NAME (repeatable) or MODULES="nvme ext4" in /etc/default/boot-guard` {
			t.Errorf("%+v: want one devices-unknown problem saying %q:\n%s", tc.req, tc.want, messages(r))
		}
	}

	// A kernel without modules.builtin.modinfo: a note for the listing only.
	old := t.TempDir()
	k := kmodtest.Debian(kver)
	k.Modinfo = nil
	k.WriteDir(t, old)
	for _, listing := range []bool{false, true} {
		r := Requirements(RequirementsRequest{Root: old, Version: kver, Modules: []string{"nvme"}, Listing: listing})
		noted := strings.Contains(messages(r), "modules.builtin.modinfo (kernels before 5.2)")
		if noted != listing || !r.Known {
			t.Errorf("Listing %v: noted %v, known %v:\n%s", listing, noted, r.Known, messages(r))
		}
	}
}

// TestRequirementsIndexHints: one fix per reason the module index is
// unreadable, for Check and `requirements` alike.
func TestRequirementsIndexHints(t *testing.T) {
	root := t.TempDir()
	kmodtest.Debian(kver).WriteDir(t, root)
	noDep := kmodtest.Debian("6.1.0-14-amd64")
	noDep.Dep = nil
	noDep.WriteDir(t, root)
	// Installed (a /boot/vmlinuz) but without its /lib/modules.
	if err := os.WriteFile(filepath.Join(root, "boot", "vmlinuz-6.1.0-15-amd64"), []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ version, hint string }{
		{"6.1.0-14-amd64", "rebuild the module index: depmod 6.1.0-14-amd64"},
		{"6.1.0-15-amd64", "reinstall the kernel package: apt-get install --reinstall linux-image-6.1.0-15-amd64"},
		{"6.1.0-99-amd64", "install that kernel's package, or check the version; installed kernels: 6.1.0-13-amd64 6.1.0-14-amd64 6.1.0-15-amd64"},
	} {
		for _, listing := range []bool{false, true} {
			r := Requirements(RequirementsRequest{Root: root, Version: tc.version, Modules: []string{"nvme"}, Listing: listing})
			if r.Index != nil || r.Known || len(r.Problems) != 1 || r.Problems[0].Code != CodeModuleIndex || r.Problems[0].Verdict != CannotTell ||
				r.Problems[0].Hint != tc.hint || !strings.HasPrefix(r.Problems[0].Message, "kernel "+tc.version+": cannot read its module index, so the modules root needs are unknown: ") {
				t.Errorf("%s (listing %v): %+v, want hint %q", tc.version, listing, r.Problems, tc.hint)
			}
		}
	}
}
